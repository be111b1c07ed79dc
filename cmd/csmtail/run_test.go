package main

import (
	"context"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// started is a csmtail run in progress.
type started struct {
	stdout, stderr *syncBuffer
	udp            *net.UDPAddr
	metricsURL     string
	cancel         context.CancelFunc
	done           chan int
}

var titleRE = regexp.MustCompile(`csmtail: listening on udp (\S+), metrics on (http://\S+/metrics)\n`)

// startRun runs csmtail with args, a free UDP port and a free metrics port,
// and waits for the line that says where it listens.
func startRun(t *testing.T, args ...string) *started {
	t.Helper()
	s := &started{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	args = append([]string{"--port", "0", "--metrics-addr", "127.0.0.1:0", "--interval", "5ms"}, args...)
	go func() { s.done <- run(ctx, args, environment{stdout: s.stdout, stderr: s.stderr}) }()
	t.Cleanup(cancel)

	var m []string
	waitUntil(t, func() bool {
		m = titleRE.FindStringSubmatch(s.stderr.String())
		return m != nil
	}, "csmtail says where it listens")
	udp, err := net.ResolveUDPAddr("udp", m[1])
	require.NoError(t, err)
	s.udp, s.metricsURL = udp, m[2]
	return s
}

// send sends datagrams to the running csmtail.
func (s *started) send(t *testing.T, datagrams ...string) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, s.udp)
	require.NoError(t, err)
	defer c.Close()
	for _, d := range datagrams {
		_, err := c.Write([]byte(d))
		require.NoError(t, err)
	}
}

// stop stops csmtail as SIGINT would, and returns its exit code.
func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	return <-s.done
}

// TestRunPlain runs the command: datagrams in, a line per call out, the
// metrics served, and a summary when it stops.
func TestRunPlain(t *testing.T) {
	s := startRun(t, "--show-bad")
	assert.True(t, strings.HasPrefix(s.udp.String(), "127.0.0.1:"), s.udp)
	// The bad one first: once the call's line is out, both were handled.
	s.send(t, "{oops", callJSON)
	waitUntil(t, func() bool { return strings.Contains(s.stdout.String(), "\n") }, "the call's line")

	e := scrapeURL(t, s.metricsURL)
	assert.Equal(t, 2.0, e.value(t, "csmtail_datagrams_total", nil))
	assert.Equal(t, 1.0, e.value(t, "csmtail_bad_datagrams_total", map[string]string{"reason": "not_json"}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "200"}))

	assert.NotEmpty(t, leftovers(), "run's goroutines, while it runs")
	require.Equal(t, 0, s.stop(t))
	out := s.stdout.String()
	line, summary, _ := strings.Cut(out, "\n")
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} DynamoDB GetItem 200 attempts=1 latency=12ms client=app$`, line)
	assert.Equal(t, `
csmtail summary: 2 datagrams (1 bad: not_json 1), 1 calls, 0 attempts

SERVICE   API      CALLS  ATTEMPTS  RETRIES  ERRORS   P50   P90   P99  EXCEPTIONS
DynamoDB  GetItem      1         0        0       0  12ms  12ms  12ms
`, summary)
	assert.Contains(t, s.stderr.String(), `bad datagram (not_json) from 127.0.0.1:`)
	assert.Contains(t, s.stderr.String(), `5 bytes: "{oops"`)

	// Everything run started has stopped.
	waitUntil(t, func() bool { return len(leftovers()) == 0 }, "goroutines left")
}

// leftovers returns the stacks of the goroutines in csmtail's code, but the
// tests', or in an HTTP server.
func leftovers() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "csmtail.Test") || strings.Contains(g, "csmtail.testMain") {
			continue
		}
		if strings.Contains(g, "/cmd/csmtail.") || strings.Contains(g, "net/http.(*Server).Serve") || strings.Contains(g, "net/http.(*conn).serve") {
			left = append(left, g)
		}
	}
	return left
}

// TestRunJSON runs the command with --json: every event on stdout as a
// JSON line, the summary on stderr.
func TestRunJSON(t *testing.T) {
	s := startRun(t, "--json")
	s.send(t, "["+attemptJSON+","+callJSON+"]", `{"Type":"ApiCallAttempt","SessionToken":"tok"}`)
	waitUntil(t, func() bool { return strings.Count(s.stdout.String(), "\n") == 3 }, "three JSON lines")
	require.Equal(t, 0, s.stop(t))
	assert.Equal(t, attemptJSON+"\n"+callJSON+"\n"+`{"Type":"ApiCallAttempt","SessionToken":"REDACTED"}`+"\n", s.stdout.String())
	assert.Contains(t, s.stderr.String(), "csmtail summary: 2 datagrams (0 bad), 1 calls, 2 attempts\n")
}

func TestRunListenError(t *testing.T) {
	taken, err := listenUDP("127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.LocalAddr().(*net.UDPAddr).Port

	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	code := run(context.Background(), []string{"--port", strconv.Itoa(port)}, environment{stdout: stdout, stderr: stderr})
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^csmtail: listen on udp 127\.0\.0\.1:\d+: .*address already in use\n$`, stderr.String())
	assert.Empty(t, stdout.String())
}

// TestReceiverIPv6 receives on ::1, where the machine has IPv6.
func TestReceiverIPv6(t *testing.T) {
	conn, err := listenUDP("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer conn.Close()
	r, stop := startReceiver(t, conn, monitorOptions{}, maxDatagram)
	r.send(t, []byte(callJSON))
	r.wait(t, 1)
	stop()
	assert.Equal(t, uint64(1), r.mon.snapshot().calls)
}
