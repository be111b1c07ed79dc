//go:build linux && (amd64 || arm64)

package report

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// unixgramPair returns the two ends of a connected Unix datagram socket
// pair. Unlike UDP on loopback, whose datagrams the kernel drops when the
// receiver's buffer is full, a Unix datagram socket makes its writer wait
// (or fail with EAGAIN) then, so that the waiting path can be tested.
func unixgramPair(t *testing.T) (w, r *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "unixgram")
		c, err := net.FileConn(f)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		conns[i] = c.(*net.UnixConn)
		t.Cleanup(func() { _ = c.Close() })
	}
	return conns[0], conns[1]
}

func messages(datagrams ...string) []ipv4.Message {
	ms := make([]ipv4.Message, len(datagrams))
	for i, d := range datagrams {
		ms[i].Buffers = [][]byte{[]byte(d)}
	}
	return ms
}

func readDatagram(t *testing.T, r *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 64)
	require.NoError(t, r.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := r.Read(buf)
	require.NoError(t, err)
	return string(buf[:n])
}

func TestRawBatchWriterWritesInOrder(t *testing.T) {
	w, r := unixgramPair(t)
	bw := newRawBatchWriter(w)
	require.NotNil(t, bw)
	n, err := bw.WriteBatch(messages("one", "two", "three"), 0)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for _, want := range []string{"one", "two", "three"} {
		assert.Equal(t, want, readDatagram(t, r))
	}
}

// TestRawBatchWriterFullBuffer fills the socket's buffer: a write returns
// EAGAIN at once, whether or not it asked for MSG_DONTWAIT, and writes again
// once the reader made room.
func TestRawBatchWriterFullBuffer(t *testing.T) {
	w, r := unixgramPair(t)
	bw := newRawBatchWriter(w)
	require.NotNil(t, bw)
	queued := 0
	for ; queued < 1_000_000; queued++ {
		n, err := bw.WriteBatch(messages("fill"), syscall.MSG_DONTWAIT)
		if err != nil {
			assert.ErrorIs(t, err, syscall.EAGAIN)
			assert.Zero(t, n)
			break
		}
		require.Equal(t, 1, n)
	}
	require.Less(t, queued, 1_000_000, "the socket's buffer never filled")
	n, err := bw.WriteBatch(messages("last"), 0)
	assert.ErrorIs(t, err, syscall.EAGAIN, "waited for room")
	assert.Zero(t, n)

	assert.Equal(t, "fill", readDatagram(t, r))
	n, err = bw.WriteBatch(messages("last"), 0)
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
}

// TestRawBatchWriterClosed checks that a write to a closed socket returns
// its error rather than waiting.
func TestRawBatchWriterClosed(t *testing.T) {
	w, _ := unixgramPair(t)
	bw := newRawBatchWriter(w)
	require.NoError(t, w.Close())
	n, err := bw.WriteBatch(messages("x"), 0)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, net.ErrClosed)
}

// TestRawBatchWriterAllocations pins that a batch write allocates nothing.
func TestRawBatchWriterAllocations(t *testing.T) {
	w, r := unixgramPair(t)
	bw := newRawBatchWriter(w)
	ms := messages("a", "b")
	buf := make([]byte, 16)
	require.NoError(t, r.SetReadDeadline(time.Now().Add(10*time.Second)))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := bw.WriteBatch(ms, 0); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := r.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	assert.Zero(t, allocs)
}

// TestRawBatchWriterPartialWrite fills the socket's buffer with batches: a
// batch the buffer takes only part of reports what the kernel wrote, and
// the reader gets exactly that many datagrams.
func TestRawBatchWriterPartialWrite(t *testing.T) {
	w, r := unixgramPair(t)
	bw := newRawBatchWriter(w)
	ms := messages("p", "p", "p", "p", "p", "p", "p")
	written, partial := 0, false
	for i := 0; i < 1_000_000; i++ {
		n, err := bw.WriteBatch(ms, syscall.MSG_DONTWAIT)
		written += n
		if err != nil {
			require.ErrorIs(t, err, syscall.EAGAIN)
			break
		}
		if n < len(ms) {
			partial = true
		}
	}
	require.True(t, partial, "no batch was written in part")
	received := 0
	buf := make([]byte, 16)
	require.NoError(t, r.SetReadDeadline(time.Now().Add(time.Second)))
	for {
		if _, err := r.Read(buf); err != nil {
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			break
		}
		received++
	}
	assert.Equal(t, written, received)
}

// TestRawBatchWriterCapsItsBatch checks that more messages than one call
// takes are written in part, not refused or overrun.
func TestRawBatchWriterCapsItsBatch(t *testing.T) {
	w, r := unixgramPair(t)
	bw := newRawBatchWriter(w)
	datagrams := make([]string, 2*rawBatch+1)
	for i := range datagrams {
		datagrams[i] = strconv.Itoa(i)
	}
	n, err := bw.WriteBatch(messages(datagrams...), 0)
	require.NoError(t, err)
	assert.Equal(t, rawBatch, n)
	for i := 0; i < rawBatch; i++ {
		assert.Equal(t, datagrams[i], readDatagram(t, r))
	}
}

// TestRawBatchWriterRefused writes to a UDP port nobody listens on: the
// error the kernel reports for the first datagram's refusal comes back, as
// a *net.OpError naming the addresses, without waiting, even when the
// writer may wait for room.
func TestRawBatchWriterRefused(t *testing.T) {
	closed, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	raddr := closed.LocalAddr().(*net.UDPAddr)
	require.NoError(t, closed.Close())
	conn, err := net.DialUDP("udp", nil, raddr)
	require.NoError(t, err)
	defer conn.Close()
	// A writer that waited on the refusal would wait forever: fail instead.
	require.NoError(t, conn.SetWriteDeadline(time.Now().Add(10*time.Second)))
	bw := newRawBatchWriter(conn)
	require.NotNil(t, bw)

	// The first datagram is sent; the port's refusal comes back as an
	// error on a later write.
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		_, werr = bw.WriteBatch(messages("x"), 0)
		if werr == nil {
			time.Sleep(time.Millisecond)
		}
	}
	require.Error(t, werr, "no write was refused")
	assert.ErrorIs(t, werr, syscall.ECONNREFUSED)
	var op *net.OpError
	require.ErrorAs(t, werr, &op)
	assert.Equal(t, "write", op.Op)
	assert.Equal(t, raddr.String(), op.Addr.String())
}

// TestSenderThroughRawWriterToAgent writes more datagrams than one raw call
// takes through the sender, to a real agent.
func TestSenderThroughRawWriterToAgent(t *testing.T) {
	agent := reporttest.NewAgent(t)
	conn, err := net.DialUDP("udp", nil, mustResolve(t, agent.Addr()))
	require.NoError(t, err)
	defer conn.Close()
	s := newSender(conn)
	require.IsType(t, &rawBatchWriter{}, s.batch)
	sent, failed, err := s.send(testDatagrams(maxBatch))
	require.NoError(t, err)
	assert.Equal(t, maxBatch, sent)
	assert.Zero(t, failed)
	agent.Sync(t)
	assert.Equal(t, maxBatch, agent.Len())
}
