package tail

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// waitLimit bounds how long a test waits for datagrams that are on their
// way through loopback: a safety net against a hung test, never a measured
// duration.
const waitLimit = 10 * time.Second

const (
	callJSON    = `{"ClientId":"app","Api":"GetItem","Service":"DynamoDB","Timestamp":1700000000000,"Type":"ApiCall","Version":1,"AttemptCount":1,"Latency":12,"FinalHttpStatusCode":200,"MaxRetriesExceeded":0,"Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24; linux; amd64)"}`
	attemptJSON = `{"ClientId":"app","Api":"GetItem","Service":"DynamoDB","Timestamp":1700000000000,"Type":"ApiCallAttempt","Version":1,"AttemptLatency":11,"HttpStatusCode":200,"AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN"}`
)

// options configure a harness.
type options struct {
	limit     int // the largest datagram; 0 for maxDatagram
	maxSeries int // 0 for defaultMaxSeries
	dims      []dimension
	lines     *lineFormat // nil for no lines sink
	showBad   bool
	lines2    sink // a lines sink of the test's own, instead of lines
}

// harness is csmtail's pipeline behind a real UDP socket on loopback.
type harness struct {
	conn     *net.UDPConn
	stats    *receiveStats
	pipe     *pipeline
	agg      *aggregator
	reg      *prometheus.Registry
	out      *syncBuffer // the lines
	bad      *syncBuffer // the bad datagrams' lines
	cancel   context.CancelFunc
	done     chan error
	once     sync.Once
	recvOnce sync.Once
}

// newHarness starts a pipeline and a receive loop on a free loopback port.
func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	conn, err := listenUDP("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return startHarness(t, conn, o)
}

// startHarness starts a pipeline and a receive loop on conn, or no
// receive loop if conn is nil.
func startHarness(t *testing.T, conn *net.UDPConn, o options) *harness {
	t.Helper()
	if o.limit == 0 {
		o.limit = maxDatagram
	}
	if o.maxSeries == 0 {
		o.maxSeries = defaultMaxSeries
	}
	if o.dims == nil {
		o.dims = []dimension{dimService, dimAPI}
	}
	h := &harness{conn: conn, stats: &receiveStats{}, agg: newAggregator(), out: &syncBuffer{}, bad: &syncBuffer{}, done: make(chan error, 1)}
	h.pipe = newPipeline(newAdmitter(o.dims, o.maxSeries), h.stats, o.lines != nil && *o.lines == linesJSON, o.showBad)
	h.pipe.add("view", h.agg)
	h.reg = newRegistry(newReceiveCollector(h.stats, h.pipe, o.maxSeries))
	h.pipe.add("prometheus", newPromSink(h.reg))
	if o.lines != nil {
		ls := newLinesSink(*o.lines, h.out, nil, time.UTC)
		if o.showBad {
			ls.badOut = h.bad
		}
		h.pipe.add("lines", ls)
	}
	if o.lines2 != nil {
		h.pipe.add("lines", o.lines2)
	}
	h.pipe.start(time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	if conn == nil { // fed by feed alone
		h.done <- nil
	} else {
		go func() { h.done <- (receiver{conn: conn, max: o.limit, stats: h.stats}).run(ctx, h.pipe) }()
	}
	t.Cleanup(func() { h.stop(t) })
	return h
}

// send sends datagrams to the harness's socket.
func (h *harness) send(t *testing.T, datagrams ...[]byte) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, h.conn.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer c.Close()
	for _, d := range datagrams {
		_, err := c.Write(d)
		require.NoError(t, err)
	}
}

// wait waits until n datagrams were received.
func (h *harness) wait(t *testing.T, n uint64) {
	t.Helper()
	waitUntil(t, func() bool { return h.stats.datagrams.Load() >= n }, "datagrams received")
}

// stopReceiving stops the receive loop.
func (h *harness) stopReceiving(t *testing.T) {
	h.recvOnce.Do(func() {
		h.cancel()
		require.NoError(t, <-h.done)
	})
}

// stop stops the receive loop and the sinks, once they took everything.
func (h *harness) stop(t *testing.T) {
	h.stopReceiving(t)
	h.once.Do(h.pipe.stop)
}

// feed hands datagrams to the pipeline directly, as the receive loop
// would, at time at.
func (h *harness) feed(at time.Time, datagrams ...[]byte) {
	for _, d := range datagrams {
		h.pipe.handle(d, netip.MustParseAddrPort("127.0.0.1:5555"), false, at)
	}
}

// waitUntil polls cond until it holds, failing the test after waitLimit.
func waitUntil(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", msg)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// lines splits s into its lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
