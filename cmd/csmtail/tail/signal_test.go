package tail

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	buildProg string
	buildErr  error
	buildOut  []byte
)

// csmtailProgram builds csmtail once per test binary and returns its path.
func csmtailProgram(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "csmtail-test")
		if err != nil {
			buildErr = err
			return
		}
		buildProg = filepath.Join(dir, "csmtail")
		buildOut, buildErr = exec.Command("go", "build", "-o", buildProg, "..").CombinedOutput()
	})
	require.NoError(t, buildErr, "go build: %s", buildOut)
	return buildProg
}

// pipeBytes returns how many bytes the pipe r holds, unread (FIONREAD).
func pipeBytes(t *testing.T, r *os.File) int {
	t.Helper()
	var n int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	require.Zero(t, errno)
	return int(n)
}

// TestSignalEndsCsmtailWithStuckStdout runs csmtail --plain with its
// stdout a pipe that nobody reads, sends it more calls than the pipe
// holds, and then SIGTERM or SIGINT: csmtail exits, with its summary on
// stderr, and every call it received is either a line in the pipe or
// counted as missed by the lines.
func TestSignalEndsCsmtailWithStuckStdout(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads a pipe's fill level with a Linux ioctl")
	}
	prog := csmtailProgram(t)
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			out, stdout, err := os.Pipe()
			require.NoError(t, err)
			defer out.Close()
			cmd := exec.Command(prog, "--plain", "--port", "0")
			cmd.Stdout = stdout
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			stdout.Close()
			exited := make(chan struct{})
			defer func() {
				select {
				case <-exited:
				default:
					_ = cmd.Process.Kill()
				}
			}()

			errs := bufio.NewReader(stderr)
			first, err := errs.ReadString('\n')
			require.NoError(t, err)
			m := regexp.MustCompile(`listening on udp (\S+)`).FindStringSubmatch(first)
			require.NotNil(t, m, first)
			addr, err := net.ResolveUDPAddr("udp", m[1])
			require.NoError(t, err)
			c, err := net.DialUDP("udp", nil, addr)
			require.NoError(t, err)
			defer c.Close()

			// More lines than the pipe holds: csmtail's lines get stuck.
			sent := 0
			waitUntil(t, func() bool {
				for i := 0; i < 100; i++ {
					_, err := c.Write(call("SQS", "SendMessage", 200, "", 3, `,"ClientId":"c`+strconv.Itoa(sent)+`"`))
					require.NoError(t, err)
					sent++
				}
				return pipeBytes(t, out) > 60<<10
			}, "the pipe full")
			for i := 0; i < 2000; i++ { // and more, for the queue
				_, err := c.Write(call("SQS", "SendMessage", 200, "", 3, ""))
				require.NoError(t, err)
				sent++
			}

			var rest bytes.Buffer
			readDone := make(chan struct{})
			go func() {
				_, _ = io.Copy(&rest, errs)
				close(readDone)
			}()
			require.NoError(t, cmd.Process.Signal(sig))
			start := time.Now()
			waitErr := make(chan error, 1)
			go func() {
				<-readDone
				waitErr <- cmd.Wait()
				close(exited)
			}()
			select {
			case err := <-waitErr:
				require.NoError(t, err, "csmtail's exit: %s", rest.String())
			case <-time.After(waitLimit): // a hung test's safety net only
				t.Fatalf("csmtail did not exit within %v of %v with its stdout stuck", waitLimit, sig)
			}
			t.Logf("%v: csmtail exited %v after the signal, %d calls sent", sig, time.Since(start).Round(time.Millisecond), sent)

			summary := rest.String()
			m = regexp.MustCompile(`csmtail summary: \d+ datagrams \(0 bad\), (\d+) calls`).FindStringSubmatch(summary)
			require.NotNil(t, m, "the summary on stderr: %s", summary)
			calls, _ := strconv.Atoi(m[1])
			missed := 0
			if m := regexp.MustCompile(`missed by outputs that fell behind: .*lines (\d+)`).FindStringSubmatch(summary); m != nil {
				missed, _ = strconv.Atoi(m[1])
			}
			written, err := io.ReadAll(out)
			require.NoError(t, err)
			lines := strings.Count(string(written), "\n")
			t.Logf("received %d calls: %d lines written, %d missed", calls, lines, missed)
			assert.NotZero(t, missed, "the stuck lines are counted")
			assert.Equal(t, calls, lines+missed, "every call received is a line or counted as missed")
			assert.True(t, bytes.HasSuffix(written, []byte("\n")), "no line written in part")
		})
	}
}
