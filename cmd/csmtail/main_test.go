package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
)

// waitLimit bounds how long a test waits for datagrams that are on their
// way through loopback: a safety net against a hung test, never a measured
// duration.
const waitLimit = 10 * time.Second

// agentConn is the socket the process's CSM reporter sends to, for the
// whole test binary: the reporter has one address per process. The tests
// that drive an SDK (the end-to-end test, the demo) receive on it, one at a
// time.
var agentConn *net.UDPConn

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if err := isolate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conn, err := listenUDP("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	agentConn = conn
	if _, err := csm.Start(demoClientID, conn.LocalAddr().String()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// testReceiver is a monitor fed by a receiver on a real UDP socket.
type testReceiver struct {
	mon  *monitor
	conn *net.UDPConn
}

// startReceiver starts a monitor with opts and a receiver of datagrams of
// up to limit bytes on conn, or on a new socket on 127.0.0.1 when conn is
// nil. The receiver stops when the test ends, or earlier with the returned
// stop, which waits for it.
func startReceiver(t *testing.T, conn *net.UDPConn, opts monitorOptions, limit int) (*testReceiver, func()) {
	t.Helper()
	if conn == nil {
		var err error
		conn, err = listenUDP("127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
	}
	if opts.maxSeries == 0 {
		opts.maxSeries = defaultMaxSeries
	}
	if opts.loc == nil {
		opts.loc = time.UTC
	}
	r := &testReceiver{mon: newMonitor(opts), conn: conn}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- receiver{conn: conn, max: limit}.run(ctx, r.mon.handle) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return r, stop
}

// send sends each datagram to the receiver from a new socket.
func (r *testReceiver) send(t *testing.T, datagrams ...[]byte) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, r.conn.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer c.Close()
	for _, d := range datagrams {
		_, err := c.Write(d)
		require.NoError(t, err)
	}
}

// wait waits until the monitor has received n datagrams.
func (r *testReceiver) wait(t *testing.T, n uint64) {
	t.Helper()
	waitReceived(t, r.mon, n)
}

// waitReceived waits until mon has received n datagrams.
func waitReceived(t *testing.T, mon *monitor, n uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return mon.received() >= n }, waitLimit, time.Millisecond,
		"datagrams received: %d of %d", mon.received(), n)
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
