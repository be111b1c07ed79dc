package tail

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tmux runs tmux on the test's own server socket.
type tmux struct {
	t      *testing.T
	bin    string
	socket string
}

func (x tmux) run(args ...string) string {
	x.t.Helper()
	cmd := exec.Command(x.bin, append([]string{"-L", x.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	require.NoError(x.t, err, "tmux %v: %s", args, out)
	return string(out)
}

// TestTerminal runs the csmtail program in a real terminal, tmux's, 80
// columns by 24 lines, sends it datagrams, and reads the screen with
// capture-pane: the header, the rates and percentiles at 80 columns, the
// sort and timing keys, and q. Outside CI it skips, saying so, when tmux
// is absent; .ci/csmtail.sh installs it.
func TestTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the csmtail program")
	}
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux not found, and CI is set: .ci/csmtail.sh installs it")
		}
		t.Skip("tmux not found: apt-get install tmux to run this test (CI requires it)")
	}
	prog := filepath.Join(t.TempDir(), "csmtail")
	build := exec.Command("go", "build", "-o", prog, "..")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	// A free UDP port, taken and let go.
	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	port := probe.LocalAddr().(*net.UDPAddr).Port
	require.NoError(t, probe.Close())

	x := tmux{t: t, bin: bin, socket: fmt.Sprintf("csmtail-test-%d", os.Getpid())}
	// The shell tmux runs the command with writes csmtail's exit status to
	// a file: tmux itself can mark the pane dead well before it has reaped
	// the process and knows its status.
	statusFile := filepath.Join(t.TempDir(), "status")
	x.run("new-session", "-d", "-s", "csmtail", "-x", "80", "-y", "24",
		prog+" --port "+strconv.Itoa(port)+" --interval 50ms --by sdk; echo $? >"+statusFile)
	t.Cleanup(func() { _ = exec.Command(bin, "-L", x.socket, "kill-server").Run() })
	x.run("set-option", "-t", "csmtail", "remain-on-exit", "on")
	screen := func() string { return x.run("capture-pane", "-p", "-t", "csmtail") }
	waitUntil(t, func() bool { return strings.Contains(screen(), "csmtail (devel): udp 127.0.0.1:"+strconv.Itoa(port)) }, "the live view")

	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	require.NoError(t, err)
	defer c.Close()
	send := func(d []byte) {
		_, err := c.Write(d)
		require.NoError(t, err)
	}
	for i := 0; i < 20; i++ {
		send(call("DynamoDB", "GetItem", 200, "", 4, `,"UserAgent":"aws-sdk-go/1.55.8"`))
	}
	for i := 0; i < 5; i++ {
		send(call("DynamoDB", "DescribeContinuousBackupsAndMoreWordsThanFit", 400, "ResourceNotFoundException", 30, `,"UserAgent":"aws-sdk-go-v2/1.48.0"`))
	}
	send([]byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole","ConnectionReused":0,"SslLatency":9,"RequestLatency":3}`))
	// The counts come from the receive loop, the rows from the view's
	// own queue: wait for both.
	waitUntil(t, func() bool {
		s := screen()
		return strings.Contains(s, "26 datagrams (0 bad)") && strings.Contains(s, "GetItem") && strings.Contains(s, "DescribeCont") && strings.Contains(s, "AssumeRole")
	}, "the counts and the rows")

	s := screen()
	t.Logf("the screen:\n%s", s)
	for _, line := range strings.Split(s, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Regexp(t, `up \d+s`, s)
	assert.Regexp(t, `SERVICE\s+API\s+SDK\s+CALLS/S\s+ERR%\s+P50\s+(P90\s+)?P99\s+CALLS\s+ERRORS`, s)
	assert.Regexp(t, `DynamoDB\s+GetItem\s+go( 1\.55\.8)?\s`, s)
	assert.Regexp(t, `DynamoDB\s+DescribeCont\S*…\s+go-v2( 1\.48\.0)?\s`, s)
	assert.Contains(t, s, "sort by calls")

	x.run("send-keys", "-t", "csmtail", "e")
	waitUntil(t, func() bool { return strings.Contains(screen(), "sort by errors") }, "sorted by errors")
	s = screen()
	assert.Less(t, strings.Index(s, "DescribeCont"), strings.Index(s, "GetItem"), "the failing API first:\n%s", s)
	x.run("send-keys", "-t", "csmtail", "t")
	waitUntil(t, func() bool { return strings.Contains(screen(), "HTTP timing") }, "the timing view")
	assert.Regexp(t, `STS\s+AssumeRole\s+1\s+0%\s+-\s+-\s+9/9ms\s+-\s+3/3ms`, screen())

	x.run("send-keys", "-t", "csmtail", "q")
	waitUntil(t, func() bool {
		return strings.TrimSpace(x.run("display-message", "-p", "-t", "csmtail", "#{pane_dead}")) == "1"
	}, "csmtail ended on q")
	// With the history: tmux's "Pane is dead" line scrolls the screen.
	s = x.run("capture-pane", "-p", "-S", "-30", "-t", "csmtail")
	for _, line := range strings.Split(s, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Contains(t, s, "csmtail summary: 26 datagrams (0 bad), 25 calls, 1 attempts")
	status, err := os.ReadFile(statusFile)
	require.NoError(t, err, "the shell wrote no exit status; the screen:\n%s", s)
	assert.Equal(t, "0", strings.TrimSpace(string(status)), "exit status; the screen:\n%s", s)
}
