//go:build linux && (amd64 || arm64)

package report

import (
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
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

// TestRawBatchWriterFullBuffer fills the socket's buffer: with MSG_DONTWAIT
// a write returns EAGAIN at once, and without it a write waits until the
// reader makes room, then writes.
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

	// The reader makes room only once the write has found the buffer full.
	full := make(chan struct{})
	var once sync.Once
	bw.(*rawBatchWriter).full = func() { once.Do(func() { close(full) }) }
	drained := make(chan []string)
	go func() {
		<-full
		buf := make([]byte, 64)
		var datagrams []string
		for i := 0; i < queued; i++ {
			n, err := r.Read(buf)
			if !assert.NoError(t, err) {
				break
			}
			datagrams = append(datagrams, string(buf[:n]))
		}
		drained <- datagrams
	}()
	n, err := bw.WriteBatch(messages("last"), 0)
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
	select {
	case <-full:
	default:
		t.Fatal("the write did not wait for room")
	}
	assert.Len(t, <-drained, queued)
	assert.Equal(t, "last", readDatagram(t, r), "the waiting write was not written after the buffer's datagrams")
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
