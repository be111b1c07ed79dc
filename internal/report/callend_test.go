package report

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// newStoppedReporter returns a reporter sending to a new agent, with its
// sender goroutine stopped where it waits to be woken, as a call finds it
// when no call ran for a while: running, the goroutine could take a
// test's attempts before their call ends.
func newStoppedReporter(t *testing.T, capacity int) (*Reporter, *reporttest.Agent) {
	t.Helper()
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), capacity)
	require.NoError(t, err)
	if !rep.w.sender.canSkipWait() {
		rep.close()
		t.Skip("calls write their own datagrams only with sendmmsg")
	}
	close(rep.stop)
	<-rep.done
	t.Cleanup(func() {
		rep.stop = make(chan struct{}) // close closes it; the goroutine is gone
		rep.close()
	})
	return rep, agent
}

// TestDenseCall checks which calls are left to the sender: with the sender
// asleep, those that end less than denseGap after the previous one, unless
// they contain it (began before it); with the sender lingering, those that
// end less than lingerStep after it.
func TestDenseCall(t *testing.T) {
	const (
		lastStart = int64(time.Second)
		last      = lastStart + int64(time.Millisecond)
		soon      = last + int64(denseGap)/2
	)
	cases := []struct {
		name  string
		now   int64
		state senderState
		start Tick
		dense bool
	}{
		{"alone", last + int64(denseGap), senderAsleep, Tick(last + 1), false},
		{"alone, containing", last + int64(lingerStep), senderLingering, Tick(lastStart - 1), false},
		{"right after, began after", soon, senderAsleep, Tick(last + 1), true},
		{"right after, began during", soon, senderAsleep, Tick(lastStart + 1), true},
		{"right after, began as it", soon, senderAsleep, Tick(lastStart), true},
		{"right after, containing, sender asleep", soon, senderAsleep, Tick(lastStart - 1), false},
		{"right after, containing, sender lingering", soon, senderLingering, Tick(lastStart - 1), true},
		{"within a look, sender lingering", last + int64(lingerStep) - 1, senderLingering, Tick(last + 1), true},
		{"a look after, sender lingering", last + int64(lingerStep), senderLingering, Tick(last + 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.dense, denseCall(c.now, last, lastStart, c.state, c.start))
		})
	}
}

// TestCallContainingWritesItsOwn checks that a call that contains the
// previous call, which wrote its datagrams, and that ends right after it,
// writes its own too: an STS call that fetches a call's credentials runs
// inside that call, and ends less than a millisecond before it when the
// service answers fast. A call right after that began after the previous
// one is left to the sender.
func TestCallContainingWritesItsOwn(t *testing.T) {
	rep, agent := newStoppedReporter(t, 64)
	attempt, call := callMetrics()
	outerStart := Now()

	rep.Push(&attempt) // the STS call's attempt
	rep.PushCall(&call, Now())
	require.Equal(t, uint64(2), rep.Stats().Sent, "the inner call wrote its own")

	// However slow the machine, the next calls end right after.
	rightAfter := func() { rep.lastIdleEnd.Store(int64(Now()) + int64(time.Hour)) }
	rightAfter()
	rep.Push(&attempt) // the outer call's attempt
	rep.PushCall(&call, outerStart)
	assert.Equal(t, uint64(4), rep.Stats().Sent, "written before PushCall returned")

	rightAfter()
	rep.Push(&attempt)
	rep.PushCall(&call, Now())
	assert.Equal(t, uint64(4), rep.Stats().Sent, "a dense call wrote its own")
	agent.Sync(t)
	assert.Equal(t, 4, agent.Len())
}

// TestCallWritesWhileSenderLingers checks that a call that comes alone
// while the sender lingers after a batch (as after a Flush, for a few
// milliseconds) writes its own datagrams rather than wait for the sender's
// next look, which a program's exit could stop.
func TestCallWritesWhileSenderLingers(t *testing.T) {
	rep, agent := newStoppedReporter(t, 64)
	rep.queue.mu.Lock()
	rep.queue.sleeping, rep.queue.lingering, rep.queue.idleLook = false, true, true
	rep.queue.mu.Unlock()
	attempt, call := callMetrics()
	rep.Push(&attempt)
	assert.Zero(t, rep.Stats().Sent, "an attempt waits for its call's end")
	rep.PushCall(&call, Now())
	assert.Equal(t, uint64(2), rep.Stats().Sent, "written before PushCall returned")
	agent.Sync(t)
	assert.Equal(t, 2, agent.Len())
}

// TestCallWritesEverythingBeforeIt checks that a call that ends with more
// records queued than one write takes (its many attempts, or attempts left
// by calls that ended unreported) writes them all before it returns.
func TestCallWritesEverythingBeforeIt(t *testing.T) {
	rep, agent := newStoppedReporter(t, 256)
	attempt, call := callMetrics()
	const attempts = 2*maxBatch + 6
	for i := 0; i < attempts; i++ {
		rep.Push(&attempt)
	}
	rep.PushCall(&call, Now())
	assert.Equal(t, uint64(attempts+1), rep.Stats().Sent, "written before PushCall returned")
	agent.Sync(t)
	assert.Equal(t, attempts+1, agent.Len())
}

// TestCallLeavesABacklog checks that a call writes at most maxCallBatches
// batches before it returns, and leaves a longer backlog to the sender.
func TestCallLeavesABacklog(t *testing.T) {
	rep, _ := newStoppedReporter(t, 512)
	attempt, call := callMetrics()
	for i := 0; i < maxCallBatches*maxBatch+10; i++ {
		rep.Push(&attempt)
	}
	rep.PushCall(&call, Now())
	assert.Equal(t, uint64(maxCallBatches*maxBatch), rep.Stats().Sent)
}

// TestCallStopsWhenSendmmsgIsRefused checks that a call that finds sendmmsg
// refused (a sandbox forbids it, write works) stops after the batch the
// sender wrote with one write per datagram: later writes could wait for
// room in the socket's buffer, which a call never does.
func TestCallStopsWhenSendmmsgIsRefused(t *testing.T) {
	rep, agent := newStoppedReporter(t, 256)
	refused := &net.OpError{Op: "sendmmsg", Net: "udp", Err: os.NewSyscallError("sendmmsg", syscall.EPERM)}
	rep.w.sender.batch = &fakeBatch{results: []fakeResult{{n: 0, err: refused}}}
	attempt, call := callMetrics()
	for i := 0; i < 2*maxBatch; i++ {
		rep.Push(&attempt)
	}
	rep.PushCall(&call, Now())
	require.False(t, rep.w.sender.canSkipWait(), "the sender fell back to one write per datagram")
	assert.Equal(t, uint64(maxBatch), rep.Stats().Sent, "the call went on writing without sendmmsg")
	agent.Sync(t)
	assert.Equal(t, maxBatch, agent.Len())
}

// TestDroppedCallWritesItsAttempts checks that a call whose ApiCall metric
// finds the queue full still writes what is queued (its attempts) before
// it returns, and counts its own metric as dropped.
func TestDroppedCallWritesItsAttempts(t *testing.T) {
	rep, agent := newStoppedReporter(t, 3)
	attempt, call := callMetrics()
	for i := 0; i < 3; i++ {
		rep.Push(&attempt)
	}
	rep.PushCall(&call, Now())
	st := rep.Stats()
	assert.Equal(t, uint64(1), st.DroppedFull)
	assert.Equal(t, uint64(3), st.Sent, "written before PushCall returned")
	agent.Sync(t)
	assert.Equal(t, 3, agent.Len())
}
