package report

import (
	"context"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func TestAccessKeyID(t *testing.T) {
	cases := map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261126/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=abc": "AKID",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID2/20261126/s3/aws4_request, SignedHeaders=host":                   "AKID2",
		"Custom x=1, Credential=AKID3/20261126/x":                                                                "AKID3",
		"AWS AKID:signature":                  "AKID",
		"":                                    "",
		"AWS4-HMAC-SHA256 Credential=NOSLASH": "",
	}
	for header, want := range cases {
		assert.Equal(t, want, accessKeyID(header), header)
	}
}

// callMetrics returns the two metrics of a call of one attempt.
func callMetrics() (attempt, call Metric) {
	ms := testMetrics()
	attempt, call = ms["attempt"], ms["attempt"]
	call.Kind = KindAPICall
	return attempt, call
}

// TestCallWritesItsOwnDatagrams checks that a call's datagrams are in the
// agent's socket when Push of its ApiCall metric returns, without Flush,
// with the sender goroutine running.
func TestCallWritesItsOwnDatagrams(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	defer rep.close()
	if !rep.w.sender.canSkipWait() {
		t.Skip("calls write their own datagrams only with a write that never waits")
	}
	attempt, call := callMetrics()
	for i := 1; i <= 3; i++ {
		rep.Push(&attempt)
		rep.Push(&call)
		assert.Equal(t, uint64(2*i), rep.Stats().Sent, "written before Push returned")
	}
	agent.Sync(t)
	assert.Equal(t, 6, agent.Len())
	assert.Equal(t, Stats{Queued: 6, Sent: 6}, rep.Stats())
}

// TestShutdown checks that Shutdown writes what is queued, stops the
// goroutine, closes the socket and makes later metrics drop, and that the
// process's reporter can then be started again.
func TestShutdown(t *testing.T) {
	agent := reporttest.NewAgent(t)
	before := runtime.NumGoroutine()
	rep, err := Start("c", agent.Addr(), 64)
	require.NoError(t, err)
	attempt, _ := callMetrics()
	for i := 0; i < 10; i++ {
		rep.Push(&attempt) // attempts only: they wait for their call's end
	}
	require.NoError(t, rep.Shutdown(context.Background()))
	agent.Sync(t)
	assert.Equal(t, 10, agent.Len(), "queued metrics written before the stop")
	select {
	case <-rep.done:
	default:
		t.Error("the sender goroutine still runs")
	}
	assert.Error(t, rep.conn.SetDeadline(time.Time{}), "the socket is closed")
	// (Not require.Eventually: it runs its condition in a goroutine.)
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; {
		require.True(t, time.Now().Before(deadline), "goroutines left behind: %d, were %d", runtime.NumGoroutine(), before)
		time.Sleep(time.Millisecond)
	}

	rep.Push(&attempt)
	assert.Equal(t, Stats{Queued: 10, Sent: 10, DroppedFull: 1}, rep.Stats())
	assert.Nil(t, Get(), "no process reporter after Shutdown")
	assert.NoError(t, rep.Shutdown(context.Background()), "a second Shutdown does nothing")

	again, err := Start("other", agent.Addr(), 64)
	require.NoError(t, err)
	assert.NotSame(t, rep, again)
	resetForTest()
}

// TestShutdownContext checks that Flush, and so Shutdown, returns the
// context's error when it ends before the queue is written, and that the
// reporter stops anyway with every queued metric counted once.
func TestShutdownContext(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Hold the write token: nothing can be written while Flush waits.
	rep.queue.take(noTicket)
	attempt, _ := callMetrics()
	rep.Push(&attempt)
	assert.ErrorIs(t, rep.Flush(ctx), context.Canceled)
	rep.queue.give()
	// The sender may now write the attempt or not: Shutdown returns nil
	// or the context's error, and stops either way.
	if err := rep.Shutdown(ctx); err != nil {
		assert.ErrorIs(t, err, context.Canceled)
	}
	<-rep.done
	st := rep.Stats()
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors+st.Discarded, "every queued metric counted once: %+v", st)
}

// TestCallEndingDuringShutdown: a call whose metrics were queued before the
// reporter closed, and that ends after, finds nothing left to write to the
// closed socket (the sender wrote it, or close discarded it), and every
// queued metric is counted once, none as a write error.
func TestCallEndingDuringShutdown(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	attempt, call := callMetrics()
	rep.Push(&attempt) // queued; an attempt waits for its call's end
	ok, _ := rep.queue.push(&call)
	require.True(t, ok)
	rep.close()
	// The call's Push, finishing after close with the write token.
	rep.queue.take(noTicket)
	_, taken := rep.writeOnce()
	rep.queue.give()
	assert.Zero(t, taken, "records left to write after close")

	st := rep.Stats()
	assert.Zero(t, st.WriteErrors, "written to the closed socket")
	assert.NoError(t, st.LastWriteError)
	assert.Equal(t, uint64(2), st.Queued)
	assert.Equal(t, st.Queued, st.Sent+st.Discarded, "every queued metric counted once: %+v", st)
}

// TestLastWriteError checks that the error of a failed write is kept in
// Stats: datagrams to a port nobody listens on are refused.
func TestLastWriteError(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	addr := conn.LocalAddr().String()
	require.NoError(t, conn.Close())
	rep, err := newReporter("c", addr, 64)
	require.NoError(t, err)
	defer rep.close()
	attempt, _ := callMetrics()
	require.Eventually(t, func() bool {
		rep.Push(&attempt)
		require.NoError(t, rep.Flush(context.Background()))
		return rep.Stats().WriteErrors > 0
	}, 10*time.Second, time.Millisecond, "no write refused")
	st := rep.Stats()
	assert.ErrorIs(t, st.LastWriteError, syscall.ECONNREFUSED)
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
}

func TestDropIfPaused(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	defer rep.close()
	assert.False(t, rep.DropIfPaused())
	rep.Pause()
	assert.Zero(t, rep.Stats().DroppedPaused, "Pause counts nothing")
	assert.True(t, rep.DropIfPaused())
	assert.Equal(t, uint64(1), rep.Stats().DroppedPaused, "DropIfPaused counts")
	rep.Continue()
	assert.False(t, rep.DropIfPaused())
}
