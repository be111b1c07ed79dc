//go:build linux && (amd64 || arm64)

package report

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallWrites makes every write to rep's socket wait for room until its
// write deadline: the socket's descriptor becomes the writing end of a
// Unix datagram pair whose receiving end is full, which the runtime's
// poller was never told of.
func stallWrites(t *testing.T, rep *Reporter) {
	t.Helper()
	w, _ := unixgramPair(t)
	wrc, err := w.SyscallConn()
	require.NoError(t, err)
	var wfd int
	require.NoError(t, wrc.Control(func(fd uintptr) {
		wfd = int(fd)
		for {
			if err := syscall.Sendto(wfd, make([]byte, 512), syscall.MSG_DONTWAIT, nil); err != nil {
				require.ErrorIs(t, err, syscall.EAGAIN)
				return
			}
		}
	}))
	rc, err := rep.conn.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		require.NoError(t, syscall.Dup2(wfd, int(fd)))
	}))
}

// TestHeldDatagramIsDeferred checks that a call whose ApiCall metric the
// sender goroutine took out of the queue, to write it waiting for room in
// the socket's buffer, does not wait for that write, and that it counts
// the metric as deferred when it returns before the datagram is written.
func TestHeldDatagramIsDeferred(t *testing.T) {
	rep, _ := newStoppedReporter(t, 64)
	full := &net.OpError{Op: "sendmmsg", Net: "udp", Err: os.NewSyscallError("sendmmsg", syscall.EAGAIN)}
	rep.w.sender.batch = &fakeBatch{results: []fakeResult{{n: 0, err: full}}}
	_, call := callMetrics()
	ok, ticket := rep.queue.push(&call) // the call's end, before its commit
	require.True(t, ok)
	stallWrites(t, rep)

	drained := make(chan struct{})
	go func() {
		defer close(drained)
		rep.drain()
	}()
	defer func() {
		// The held write gives up; the drain ends.
		_ = rep.conn.SetWriteDeadline(time.Unix(1, 0))
		<-drained
	}()
	require.Eventually(t, func() bool { return rep.queue.isSettled(ticket) },
		time.Minute, time.Millisecond, "the sender goroutine took the record out to write it")

	rep.commit(ticket) // the call's end: must not wait for the held write
	st := rep.Stats()
	assert.Zero(t, st.Sent+st.WriteErrors, "the held datagram is not written yet")
	assert.Equal(t, uint64(1), st.Deferred, "the call returned without its datagram in the kernel")
}
