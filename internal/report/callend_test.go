package report

import (
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// newStoppedReporter returns a reporter sending to a new agent, with its
// sender goroutine stopped: what is written, the calls wrote.
func newStoppedReporter(t *testing.T, capacity int) (*Reporter, *reporttest.Agent) {
	t.Helper()
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), capacity)
	require.NoError(t, err)
	if !rep.w.sender.canSkipWait() {
		rep.close()
		t.Skip("calls write their own datagrams only with a write that never waits")
	}
	close(rep.stop)
	<-rep.done
	rep.stop = make(chan struct{}) // the goroutine is gone; drain and close look at it
	t.Cleanup(rep.close)
	return rep, agent
}

// countingBatch counts the system calls of a batch writer.
type countingBatch struct {
	batchWriter
	calls int
}

func (c *countingBatch) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	c.calls++
	return c.batchWriter.WriteBatch(ms, flags)
}

// TestCallsBackToBackWriteTheirOwn checks that calls that end one right
// after the other each have their datagrams written when Push returns,
// whatever the gap between them.
func TestCallsBackToBackWriteTheirOwn(t *testing.T) {
	rep, agent := newStoppedReporter(t, 64)
	attempt, call := callMetrics()
	for i := 1; i <= 5; i++ {
		rep.Push(&attempt)
		assert.Equal(t, uint64(2*(i-1)), rep.Stats().Sent, "an attempt waits for its call's end")
		rep.Push(&call)
		assert.Equal(t, uint64(2*i), rep.Stats().Sent, "written before Push returned")
	}
	agent.Sync(t)
	assert.Equal(t, 10, agent.Len())
	assert.Zero(t, rep.Stats().Deferred)
}

// TestGroupCommit checks that calls that end while another goroutine holds
// the write token wait for it, and that the first to take it writes the
// records of all of them in one system call: the others return, their
// records written, without writing.
func TestGroupCommit(t *testing.T) {
	rep, agent := newStoppedReporter(t, 64)
	counting := &countingBatch{batchWriter: rep.w.sender.batch}
	rep.w.sender.batch = counting
	const calls = 4
	rep.queue.take(noTicket) // a writer holds the token
	var wg sync.WaitGroup
	returned := make(chan struct{}, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempt, call := callMetrics()
			rep.Push(&attempt)
			rep.Push(&call)
			returned <- struct{}{}
		}()
	}
	for {
		queued, _, _, _ := rep.queue.counts()
		if queued == 2*calls {
			break
		}
		runtime.Gosched()
	}
	assert.Empty(t, returned, "a call returned before its records were written")
	rep.queue.give()
	wg.Wait()
	assert.Equal(t, 1, counting.calls, "system calls for %d calls", calls)
	st := rep.Stats()
	assert.Equal(t, uint64(2*calls), st.Sent)
	assert.Zero(t, st.Deferred)
	agent.Sync(t)
	assert.Equal(t, 2*calls, agent.Len())
}

// TestCallWritesEverythingBeforeIt checks that a call that ends with more
// records queued than one batch takes (its many attempts, or attempts left
// by calls that ended unreported) writes them all before it returns.
func TestCallWritesEverythingBeforeIt(t *testing.T) {
	rep, agent := newStoppedReporter(t, 256)
	attempt, call := callMetrics()
	const attempts = 2*maxBatch + 6
	for i := 0; i < attempts; i++ {
		rep.Push(&attempt)
	}
	rep.Push(&call)
	assert.Equal(t, uint64(attempts+1), rep.Stats().Sent, "written before Push returned")
	agent.Sync(t)
	assert.Equal(t, attempts+1, agent.Len())
}

// TestCallDefersABacklog checks that a call writes at most maxCallBatches
// batches before it returns, defers the rest of what is queued up to its
// own record to the sender goroutine, counts it, and gives the goroutine
// work.
func TestCallDefersABacklog(t *testing.T) {
	rep, _ := newStoppedReporter(t, 512)
	attempt, call := callMetrics()
	const backlog = maxCallBatches*maxBatch + 10
	for i := 0; i < backlog; i++ {
		rep.Push(&attempt)
	}
	rep.Push(&call)
	st := rep.Stats()
	assert.Equal(t, uint64(maxCallBatches*maxBatch), st.Sent)
	assert.Equal(t, uint64(backlog+1-maxCallBatches*maxBatch), st.Deferred)
	assert.Len(t, rep.queue.wake, 1, "the sender goroutine was given work")
}

// TestCallDefersOnAFullBuffer checks that a call that finds the socket's
// buffer full returns at once, counting what is queued as deferred, and
// that a call waiting for the token meanwhile returns without writing.
func TestCallDefersOnAFullBuffer(t *testing.T) {
	rep, agent := newStoppedReporter(t, 64)
	full := &net.OpError{Op: "sendmmsg", Net: "udp", Err: os.NewSyscallError("sendmmsg", syscall.EAGAIN)}
	// The call writes one datagram; the sender goroutine then finds the
	// buffer full again, writes the next datagram waiting for room, and
	// the last in a batch.
	fake := &fakeBatch{results: []fakeResult{{n: 1, err: full}, {n: 0, err: full}}}
	rep.w.sender.batch = fake
	attempt, call := callMetrics()
	rep.Push(&attempt)
	rep.Push(&attempt)
	rep.Push(&call)
	st := rep.Stats()
	assert.Equal(t, uint64(1), st.Sent)
	assert.Equal(t, uint64(2), st.Deferred)
	assert.Zero(t, st.WriteErrors, "a full buffer is no failure")
	assert.Len(t, rep.queue.wake, 1, "the sender goroutine was given work")
	assert.Equal(t, 1, fake.calls)

	rep.drain()
	st = rep.Stats()
	assert.Equal(t, uint64(3), st.Sent)
	assert.Equal(t, uint64(2), st.Deferred, "deferred counts each metric once")
	assert.Len(t, fake.written, 2, "the first and the last in batches")
	agent.Sync(t)
	assert.Equal(t, 1, agent.Len(), "the second, written waiting for room")
}

// TestCallDefersWithoutSendmmsg checks that once sendmmsg turns out to be
// refused (a sandbox forbids it, write works), calls write nothing, as
// write could wait for room in the socket's buffer: they defer their
// records to the sender goroutine.
func TestCallDefersWithoutSendmmsg(t *testing.T) {
	rep, agent := newStoppedReporter(t, 256)
	refused := &net.OpError{Op: "sendmmsg", Net: "udp", Err: os.NewSyscallError("sendmmsg", syscall.EPERM)}
	rep.w.sender.batch = &fakeBatch{results: []fakeResult{{n: 0, err: refused}}}
	attempt, call := callMetrics()
	rep.Push(&attempt)
	rep.Push(&call)
	require.False(t, rep.w.sender.canSkipWait(), "the sender fell back to one write per datagram")
	assert.Equal(t, uint64(2), rep.Stats().Sent, "the batch found sendmmsg refused")
	rep.Push(&attempt)
	rep.Push(&call)
	st := rep.Stats()
	assert.Equal(t, uint64(2), st.Sent, "the call wrote without sendmmsg")
	assert.Equal(t, uint64(2), st.Deferred)
	rep.drain()
	agent.Sync(t)
	assert.Equal(t, 4, agent.Len())
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
	rep.Push(&call)
	st := rep.Stats()
	assert.Equal(t, uint64(1), st.DroppedFull)
	assert.Equal(t, uint64(3), st.Sent, "written before Push returned")
	agent.Sync(t)
	assert.Equal(t, 3, agent.Len())
}
