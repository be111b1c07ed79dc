package report

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func testDatagrams(n int) [][]byte {
	m := testMetrics()["attempt"]
	d := encodeMetric(nil, &m)
	out := make([][]byte, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestSenderPaths(t *testing.T) {
	for _, batch := range []bool{true, false} {
		agent := reporttest.NewAgent(t)
		conn, err := net.DialUDP("udp", nil, mustResolve(t, agent.Addr()))
		require.NoError(t, err)
		s := newSender(conn)
		if !batch {
			s.batch = nil
		}
		sent, failed, err := s.send(testDatagrams(maxBatch))
		require.NoError(t, err)
		assert.Equal(t, maxBatch, sent)
		assert.Zero(t, failed)
		agent.Sync(t)
		assert.Equal(t, maxBatch, agent.Len())
		require.NoError(t, conn.Close())
	}
}

func mustResolve(t testing.TB, addr string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	return a
}

// BenchmarkSender compares writing a batch of maxBatch typical datagrams
// with the sender's batch writer (one sendmmsg on Linux) and with one write
// each. The socket it sends to is never read; the kernel delivers to it and
// drops what overflows, so its figures are those of a drop path, not a cost.
func BenchmarkSender(b *testing.B) {
	deaf, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	defer deaf.Close()
	datagrams := testDatagrams(maxBatch)
	for _, path := range []string{"sendmmsg", "write"} {
		b.Run("path="+path, func(b *testing.B) {
			conn, err := net.DialUDP("udp", nil, deaf.LocalAddr().(*net.UDPAddr))
			require.NoError(b, err)
			defer conn.Close()
			s := newSender(conn)
			if path == "write" {
				s.batch = nil
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s.send(datagrams)
			}
			b.ReportMetric(float64(b.N*len(datagrams))/time.Since(start).Seconds(), "datagrams/s")
		})
	}
}

// fakeBatch is a batchWriter that answers each WriteBatch with the next of
// its results, and keeps the datagrams it took.
type fakeBatch struct {
	results []fakeResult
	calls   int
	flags   []int
	written [][]byte
}

type fakeResult struct {
	n   int
	err error
}

func (f *fakeBatch) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	f.flags = append(f.flags, flags)
	r := fakeResult{n: len(ms)}
	if f.calls < len(f.results) {
		r = f.results[f.calls]
	}
	f.calls++
	for i := 0; i < r.n && i < len(ms); i++ {
		f.written = append(f.written, ms[i].Buffers[0])
	}
	return r.n, r.err
}

// TestSenderErrorBranches drives the sender's error handling through its
// batchWriter seam, with a real socket to a real agent behind the write
// fallback.
func TestSenderErrorBranches(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "sendmmsg", Net: "udp", Err: os.NewSyscallError("sendmmsg", errno)}
	}
	cases := []struct {
		name       string
		results    []fakeResult
		closeConn  bool
		sent       int
		failed     int
		err        error // errors.Is the returned error, or nil
		batchAfter bool  // the batch writer is still used afterwards
		viaWrite   int   // datagrams the agent got through write(2)
	}{
		{name: "all written", sent: 4, batchAfter: true},
		{name: "written in two calls", results: []fakeResult{{n: 3}}, sent: 4, batchAfter: true},
		{name: "ENOSYS falls back to write, and is no write error", results: []fakeResult{{n: 1, err: opErr(syscall.ENOSYS)}},
			sent: 4, viaWrite: 3},
		{name: "EPERM, write allowed: falls back", results: []fakeResult{{n: -1, err: opErr(syscall.EPERM)}},
			sent: 4, viaWrite: 4},
		{name: "EPERM, write refused too: each datagram fails", closeConn: true,
			results: []fakeResult{{n: -1, err: opErr(syscall.EPERM)}, {n: -1, err: opErr(syscall.EPERM)},
				{n: -1, err: opErr(syscall.EPERM)}, {n: -1, err: opErr(syscall.EPERM)}},
			failed: 4, err: syscall.EPERM, batchAfter: true},
		{name: "a refused datagram does not stop the others",
			results: []fakeResult{{n: 1, err: opErr(syscall.ECONNREFUSED)}},
			sent:    3, failed: 1, err: syscall.ECONNREFUSED, batchAfter: true},
		{name: "no progress, no error: gives up", results: []fakeResult{{n: 2}, {n: 0}},
			sent: 2, failed: 2, err: errNoProgress, batchAfter: true},
		{name: "full buffer: stops, nothing failed",
			results: []fakeResult{{n: 1, err: opErr(syscall.EAGAIN)}}, sent: 1, batchAfter: true},
		{name: "a refused datagram, then a full buffer: the refusal is kept",
			results: []fakeResult{{n: 0, err: opErr(syscall.ECONNREFUSED)}, {n: 1, err: opErr(syscall.EAGAIN)}},
			sent:    1, failed: 1, err: syscall.ECONNREFUSED, batchAfter: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			agent := reporttest.NewAgent(t)
			conn, err := net.DialUDP("udp", nil, mustResolve(t, agent.Addr()))
			require.NoError(t, err)
			defer conn.Close()
			fake := &fakeBatch{results: tc.results}
			s := newSender(conn)
			s.batch = fake
			if tc.closeConn {
				require.NoError(t, conn.Close())
			}
			sent, failed, err := s.send(testDatagrams(4))
			assert.Equal(t, tc.sent, sent, "sent")
			assert.Equal(t, tc.failed, failed, "failed")
			if tc.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.err)
			}
			assert.Equal(t, tc.batchAfter, s.batch != nil, "batch writer kept")
			for _, f := range fake.flags {
				assert.NotZero(t, f&syscall.MSG_DONTWAIT, "MSG_DONTWAIT passed")
			}
			if !tc.closeConn {
				agent.Sync(t)
				assert.Equal(t, tc.viaWrite, agent.Len(), "datagrams sent by write")
			}
		})
	}
}
