package tail

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

// started is a Run in progress.
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
	go func() { s.done <- Run(ctx, args, Env{Stdout: s.stdout, Stderr: s.stderr}) }()
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

// TestRunPlain runs csmtail: datagrams in, a line per call out, the
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
	assert.Equal(t, 1.0, e.value(t, "csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "code": "200", "exception": ""}))

	assert.NotEmpty(t, leftovers(), "Run's goroutines, while it runs")
	require.Equal(t, 0, s.stop(t))
	out := s.stdout.String()
	line, summary, _ := strings.Cut(out, "\n")
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{6} DynamoDB GetItem 200 attempts=1 latency=12ms client=app$`, line)
	assert.Equal(t, `
csmtail summary: 2 datagrams (1 bad: not_json 1), 1 calls, 0 attempts

SERVICE   API       P50   P90   P99  CALLS  ERRORS  RETRIES  ATTEMPTS  EXCEPTIONS
DynamoDB  GetItem  12ms  12ms  12ms      1       0        0         0
`, summary)
	assert.Contains(t, s.stderr.String(), `bad datagram (not_json) from 127.0.0.1:`)
	assert.Contains(t, s.stderr.String(), `5 bytes: "{oops"`)

	// Everything Run started has stopped.
	waitUntil(t, func() bool { return len(leftovers()) == 0 }, "goroutines left")
}

// leftovers returns the stacks of the goroutines in csmtail's code, but the
// tests', or in an HTTP server.
func leftovers() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "tail.Test") || strings.Contains(g, "_test.go") {
			continue
		}
		if strings.Contains(g, "/cmd/csmtail/tail.") || strings.Contains(g, "net/http.(*Server).Serve") || strings.Contains(g, "net/http.(*conn).serve") {
			left = append(left, g)
		}
	}
	return left
}

// TestRunJSON runs csmtail with --json: every event on stdout as a JSON
// line, the summary on stderr.
func TestRunJSON(t *testing.T) {
	s := startRun(t, "--json")
	s.send(t, "["+attemptJSON+","+callJSON+"]", `{"Type":"ApiCallAttempt","SessionToken":"tok"}`)
	waitUntil(t, func() bool { return strings.Count(s.stdout.String(), "\n") == 3 }, "three JSON lines")
	require.Equal(t, 0, s.stop(t))
	out := lines(s.stdout.String())
	assert.Contains(t, out[0], `"SessionToken":"REDACTED"`)
	assert.Equal(t, callJSON, out[1])
	assert.Equal(t, `{"Type":"ApiCallAttempt","SessionToken":"REDACTED"}`, out[2])
	assert.Contains(t, s.stderr.String(), "csmtail summary: 2 datagrams (0 bad), 1 calls, 2 attempts\n")
}

// TestRunLive runs the live view with keys: a frame with the title, the
// sort key changed, and q ends it with the summary.
func TestRunLive(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	keysR, keysW := net.Pipe()
	defer keysW.Close()
	ready := make(chan *Receiver, 1)
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), []string{"--port", "0", "--interval", "10ms"}, Env{
			Stdout: stdout, Stderr: stderr, Terminal: true, Keys: keysR,
			TermSize: func() (int, int, error) { return 80, 24, nil },
			Ready:    func(r *Receiver) { ready <- r },
		})
	}()
	r := <-ready
	c, err := net.DialUDP("udp", nil, r.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	_, err = c.Write([]byte(callJSON))
	require.NoError(t, err)
	c.Close()
	waitUntil(t, func() bool { return strings.Contains(stdout.String(), "DynamoDB  GetItem") }, "the row")
	assert.Equal(t, uint64(1), r.Received())
	assert.Contains(t, stdout.String(), "csmtail (devel): udp 127.0.0.1:")
	_, err = keysW.Write([]byte("e"))
	require.NoError(t, err)
	waitUntil(t, func() bool { return strings.Contains(stdout.String(), "sort by errors") }, "sorted by errors")
	_, err = keysW.Write([]byte("q"))
	require.NoError(t, err)
	require.Equal(t, 0, <-done)
	assert.Contains(t, stdout.String(), "csmtail summary: 1 datagrams (0 bad), 1 calls, 0 attempts")
	assert.Empty(t, stderr.String())
}

func TestRunListenError(t *testing.T) {
	taken, err := listenUDP("127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	port := taken.LocalAddr().(*net.UDPAddr).Port

	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	code := Run(context.Background(), []string{"--port", strconv.Itoa(port)}, Env{Stdout: stdout, Stderr: stderr})
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^csmtail: listen on udp 127\.0\.0\.1:\d+: .*address already in use\n$`, stderr.String())
	assert.Empty(t, stdout.String())
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		args string
		code int
		err  string
	}{
		{"--port 70000", 2, `--port "70000": not a port number from 0 to 65535`},
		{"--addr localhost", 2, `--addr "localhost": not an IP address`},
		{"--json --plain", 2, "--json and --plain: choose one"},
		{"--max-series 0", 2, "--max-series 0: must be from 1 to 1500"},
		{"--max-series 100000", 2, "--max-series 100000: must be from 1 to 1500"},
		{"--by host", 2, `--by "host": unknown dimension "host"`},
		{"--demo", 2, "go run ./examples/demo"},
		{"extra", 2, `unexpected argument "extra"`},
		{"--metrics-addr nope", 2, `--metrics-addr "nope": not host:port`},
		{"-h", 0, ""},
	}
	for _, tt := range tests {
		stdout, stderr := &syncBuffer{}, &syncBuffer{}
		code := Run(context.Background(), strings.Fields(tt.args), Env{Stdout: stdout, Stderr: stderr})
		assert.Equal(t, tt.code, code, tt.args)
		if tt.err != "" {
			assert.Contains(t, stderr.String(), tt.err, tt.args)
		} else {
			assert.Contains(t, stdout.String(), "-by dims", "the usage")
			assert.NotContains(t, stdout.String(), "-demo", "the usage")
		}
	}
}

// TestReceiverIPv6 receives on ::1, where the machine has IPv6.
func TestReceiverIPv6(t *testing.T) {
	conn, err := listenUDP("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer conn.Close()
	h := startHarness(t, conn, options{})
	h.send(t, []byte(callJSON))
	h.wait(t, 1)
	h.stop(t)
	assert.Equal(t, uint64(1), h.stats.snapshot().calls)
}
