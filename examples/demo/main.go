// Command demo shows CSM end to end on this machine alone, with no AWS
// account and no network: csmtail's receiver on a free loopback port, a
// stand-in for AWS serving TLS on another, and real aws-sdk-go clients
// (from csm.NewSession) and aws-sdk-go-v2 clients (set up by csmv2.Enable)
// calling it for a few seconds.
//
// Some calls fail on purpose, so that csmtail has errors and retries to
// show: the fake AWS denies some AssumeRole calls (AccessDenied), answers
// others first with a 500 that a retry fixes, throttles GetSessionToken
// until the retries run out (Throttling), and some GetCallerIdentity calls
// go to a port where nothing listens (RequestError). GetAccessKeyInfo is
// called by clients that do not drain response bodies, so that csmtail's
// HTTP timing view (key t) shows a new TLS handshake on each of its calls.
// The process sets AWS_CSM_HTTP_TIMING=true, so that the SDK packages fill
// the timing fields where they can. The demo says so again after csmtail's
// summary.
//
//	go run ./examples/demo                  # the live view on a terminal, lines otherwise
//	go run ./examples/demo -duration 30s -- --by sdk
//
// Arguments after -- go to csmtail (csmtail -h lists them). It exits 0
// once csmtail has received every datagram the SDKs' reporter sent, and 1
// if some never came; its last line says so:
//
//	demo: aws-sdk-go, aws-sdk-go-v2 sent 412 datagrams through csm-go; csmtail received 412
//
// It ignores this machine's AWS_ environment variables and ~/.aws files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencsm/csm-go/cmd/csmtail/tail"
	"github.com/opencsm/csm-go/csm"
)

// clientID is the CSM client ID of the demo's datagrams.
const clientID = "csm-go-demo"

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long the SDK clients make calls")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./examples/demo [-duration D] [-- csmtail flags]")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	line, err := run(ctx, *duration, flag.Args(), os.Stdout, os.Stderr)
	if line != "" {
		fmt.Println(line)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// onPurpose names the demo's deliberate errors; the demo writes it after
// csmtail's summary.
const onPurpose = `demo: the errors are the demo's own: the fake AWS denies some AssumeRole calls
      (AccessDenied) and fails others once with a 500 that a retry fixes; it
      throttles GetSessionToken until the retries run out (Throttling); some
      GetCallerIdentity calls go to a closed port (RequestError). The clients of
      GetAccessKeyInfo do not drain response bodies: a new TLS handshake per
      call, in the HTTP timing (key t in the live view).
`

// run starts csmtail, writing to stdout and stderr, and the fake AWS,
// makes the calls for duration, and returns the line that tells what was
// sent and received; an error if csmtail did not receive every datagram.
// After csmtail's summary it writes what onPurpose says to stdout.
func run(ctx context.Context, duration time.Duration, tailArgs []string, stdout, stderr io.Writer) (string, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	port := strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)
	// The settings a real program would get from its environment or
	// ~/.aws/config; this machine's own AWS settings stay out of the demo.
	if err := isolate(map[string]string{
		"AWS_CSM_ENABLED":     "true",
		"AWS_CSM_HOST":        "127.0.0.1",
		"AWS_CSM_PORT":        port,
		"AWS_CSM_CLIENT_ID":   clientID,
		"AWS_CSM_HTTP_TIMING": "true",
	}); err != nil {
		return "", err
	}

	fake, err := startFakeAWS()
	if err != nil {
		return "", err
	}
	defer fake.close()

	// csmtail, in this process, on the socket the SDKs send to.
	tailCtx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	ready := make(chan *tail.Receiver, 1)
	env := tail.Env{
		Stdout: stdout,
		Stderr: stderr,
		Conn:   conn,
		Ready:  func(r *tail.Receiver) { ready <- r },
	}
	if f, ok := stdout.(*os.File); ok {
		// The live view, and its keys: sort, timing, and q to stop early.
		env.UseTerminal(f, os.Stdin)
	}
	// q in the live view ends csmtail, and the calls with it.
	calls, stopCalls := context.WithCancel(ctx)
	defer stopCalls()
	exit := make(chan int, 1)
	go func() {
		exit <- tail.Run(tailCtx, tailArgs, env)
		stopCalls()
	}()
	var rcv *tail.Receiver
	select {
	case rcv = <-ready:
	case code := <-exit:
		return "", fmt.Errorf("csmtail exited with %d", code)
	}

	sent, callErr := makeCalls(calls, fake, duration)
	select {
	case code := <-exit:
		_, _ = io.WriteString(stdout, onPurpose)
		switch {
		case code != 0:
			return "", fmt.Errorf("csmtail exited with %d", code)
		case ctx.Err() != nil:
			return "demo: interrupted", nil
		}
		return "demo: stopped from the live view", nil
	default:
	}
	// The datagrams are on their way through loopback: a sync point, not
	// a measured delay.
	deadline := time.Now().Add(5 * time.Second)
	for rcv.Received() < sent && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	received := rcv.Received()
	stopTail()
	code := <-exit
	_, _ = io.WriteString(stdout, onPurpose)
	if code != 0 {
		return "", fmt.Errorf("csmtail exited with %d", code)
	}
	if callErr != nil {
		return "", callErr
	}
	line := fmt.Sprintf("demo: %s sent %d datagrams through csm-go; csmtail received %d", driverNames(), sent, received)
	if received != sent {
		return line, fmt.Errorf("csmtail received %d of the %d datagrams sent", received, sent)
	}
	return line, nil
}

// makeCalls makes calls through every driver for duration, flushes the
// reporter, and returns how many datagrams it sent for them.
func makeCalls(ctx context.Context, fake *fakeAWS, duration time.Duration) (uint64, error) {
	var clients []sdkClient
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	for _, d := range drivers {
		c, err := d.start(fake.target())
		if err != nil {
			return 0, fmt.Errorf("%s: %w", d.name, err)
		}
		clients = append(clients, c)
	}
	rep := csm.Get() // the process's reporter, which every SDK's package shares
	if rep == nil {
		return 0, errors.New("no CSM reporter: csm.NewSession did not start one")
	}
	before := rep.Stats().Sent

	calls, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range clients {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(calls, c, int64(i*workers+w))
			}()
		}
	}
	wg.Wait()

	flush, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelFlush()
	err := rep.Flush(flush)
	return rep.Stats().Sent - before, err
}

// isolate clears this process's AWS_ environment variables, points the
// shared config and credentials files at a file that does not exist, and
// sets env.
func isolate(env map[string]string) error {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			if err := os.Unsetenv(k); err != nil {
				return err
			}
		}
	}
	none := filepath.Join(os.TempDir(), "csm-go-demo-no-such-file")
	env["AWS_CONFIG_FILE"] = none
	env["AWS_SHARED_CREDENTIALS_FILE"] = none
	env["AWS_EC2_METADATA_DISABLED"] = "true"
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
