package report

import (
	"context"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// How the sender goroutine lingers after writing, so that while calls are
// dense it takes them in batches without being woken for each: it sleeps
// lingerStep between looks at the queue, and goes to sleep for good (until
// woken) after lingerRounds looks found nothing. BENCHMARKS.md has the
// measurements behind the values.
const (
	lingerStep   = 2 * time.Millisecond
	lingerRounds = 2
)

// denseGap is the shortest time between the ends of two API calls that find
// the sender asleep for the second to write its own datagrams (lingerStep
// if the sender lingers); a call that ends sooner after the previous one
// leaves its datagrams to the sender, which then takes the dense calls in
// batches while it lingers, unless it contains the previous one (see
// PushCall).
const denseGap = time.Millisecond

// Reporter queues the metrics of API calls and sends them to the CSM agent.
// A process has at most one running, shared by the aws-sdk-go and
// aws-sdk-go-v2 integrations (see Start). Its methods are safe for
// concurrent use.
//
// Who writes a datagram depends on how dense the calls are. A call that
// ends while the sender goroutine is not writing, and not right after
// another such call, writes its own datagrams without waiting for room in
// the socket's buffer: a program that returns from main right after such a
// call has sent its metrics (see PushCall). Denser calls only queue their
// metrics; the sender goroutine, woken once, writes them in batches and
// lingers briefly after each before it sleeps again. A program that exits
// right after a burst of calls calls Flush or Shutdown first, or loses the
// metrics of its last few milliseconds of calls.
type Reporter struct {
	clientID string
	url      string
	// sendToken is whether attempts may carry the session token: only
	// when the agent is on a loopback address, so that a token never
	// crosses a network in clear text.
	sendToken atomic.Bool

	conn   *net.UDPConn
	paused atomic.Bool
	queue  *queue
	stats  counters
	stop   chan struct{}
	done   chan struct{}

	// writeMu is the write token: whoever holds it (the sender goroutine
	// or an API call's goroutine) takes records from the queue and writes
	// them, with w.
	writeMu sync.Mutex
	w       writer
	// lastIdleEnd and lastIdleStart are when the last call that found
	// the sender asleep or lingering ended and began, as Ticks.
	lastIdleEnd   atomic.Int64
	lastIdleStart atomic.Int64
	closeOnce     sync.Once

	// httpTiming is the switch of SetHTTPTiming.
	httpTiming atomic.Bool
}

// writer is the scratch space of the write token's holder.
type writer struct {
	sender    *sender
	records   [][]byte
	datagrams [][]byte
	encoded   []byte
	m         Metric
}

// newReporter connects a UDP socket to url and starts the sender goroutine
// with a queue of capacity metrics.
func newReporter(clientID, url string, capacity int) (*Reporter, error) {
	raddr, err := resolveAgent(url)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("csm: cannot open a socket to the agent at %q: %w", url, err)
	}
	rep := &Reporter{
		clientID: clientID,
		url:      url,
		conn:     conn,
		queue:    newQueue(capacity),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		w: writer{
			sender:    newSender(conn),
			records:   make([][]byte, 0, maxBatch),
			datagrams: make([][]byte, 0, maxBatch),
			encoded:   make([]byte, 0, 64<<10),
		},
	}
	// A socket dialed to "localhost" or to an empty host is connected to
	// a loopback address (127.0.0.0/8 or ::1).
	rep.sendToken.Store(conn.RemoteAddr().(*net.UDPAddr).IP.IsLoopback())
	// As if the last call ended long ago, and began earlier still.
	rep.lastIdleEnd.Store(-int64(time.Hour))
	rep.lastIdleStart.Store(math.MinInt64)
	go rep.run()
	return rep, nil
}

// resolveAgent resolves the agent's address.
func resolveAgent(url string) (*net.UDPAddr, error) {
	raddr, err := net.ResolveUDPAddr("udp", url)
	if err != nil {
		return nil, fmt.Errorf("csm: invalid agent address %q: %w", url, err)
	}
	if raddr.Port == 0 {
		return nil, fmt.Errorf("csm: invalid agent address %q: port 0", url)
	}
	return raddr, nil
}

// ClientID returns the client ID the reporter puts in every metric.
func (rep *Reporter) ClientID() string { return rep.clientID }

// run is the sender goroutine. Woken, it writes everything queued, in
// batches of up to maxBatch datagrams per system call, then lingers: it
// looks at the queue every lingerStep (or as soon as the queue is a quarter
// full) and writes what came, and sleeps until woken again once
// lingerRounds looks in a row found nothing.
func (rep *Reporter) run() {
	defer close(rep.done)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for rep.queue.wait(rep.stop) {
		for idle := 0; idle < lingerRounds; {
			found := rep.drain()
			if found {
				idle = 0
			} else {
				idle++
			}
			linger.Reset(lingerStep)
			select {
			case <-linger.C:
			case <-rep.queue.linger(!found):
				// The queue got deep before the timer fired. A
				// tick left in the channel only makes a later look
				// early.
				linger.Stop()
			case <-rep.stop:
				linger.Stop()
				return
			}
			rep.queue.stopLinger()
		}
	}
}

// drain writes everything queued, waiting for room in the socket's buffer
// if it must, and reports whether there was anything.
func (rep *Reporter) drain() bool {
	rep.writeMu.Lock()
	defer rep.writeMu.Unlock()
	found := false
	for {
		n, _ := rep.writeOnce(false)
		if n == 0 {
			return found
		}
		found = true
		// Let the goroutines waiting for this one's processor (the API
		// calls, with GOMAXPROCS=1) run between batches.
		runtime.Gosched()
	}
}

// writeOnce writes up to maxBatch of the oldest queued records with one
// system call, releases those written or failed, and returns how many it
// released and how many it took. With dontWait it stops where the socket's
// buffer is full, leaving the rest queued. The write token must be held.
func (rep *Reporter) writeOnce(dontWait bool) (released, taken int) {
	w := &rep.w
	w.records, _ = rep.queue.peek(w.records[:0], maxBatch)
	if len(w.records) == 0 {
		return 0, 0
	}
	w.datagrams, w.encoded = w.datagrams[:0], w.encoded[:0]
	for _, rec := range w.records {
		readRecord(rec, &w.m)
		start := len(w.encoded)
		w.encoded = encodeMetric(w.encoded, &w.m)
		w.datagrams = append(w.datagrams, w.encoded[start:])
	}
	w.m = Metric{} // holds no string of the ring past release

	sent, failed, err := w.sender.send(w.datagrams, dontWait)
	rep.stats.sent.Add(uint64(sent))
	if failed > 0 {
		rep.stats.writeErrors.Add(uint64(failed))
	}
	if err != nil {
		rep.stats.setLastError(err)
	}
	released = sent + failed
	if released > 0 {
		rep.queue.release(released, rep.queue.end(w.records[released-1]))
	}
	return released, len(w.records)
}

// Push queues m without waiting for room; the queue counts the outcome. It
// copies what it keeps, so m may be reused as soon as Push returns.
//
// An ApiCall metric ends its call, and Push of one is PushCall with the
// call's start unknown: as if the call began as it ended. An attempt's
// metric waits for its call's end while the sender sleeps; if the call ends
// unreported (the reporter was paused meanwhile), it waits for the next
// call's end, Flush or Shutdown.
func (rep *Reporter) Push(m *Metric) {
	rep.push(m, false, 0)
}

// PushCall is Push for m, the ApiCall metric of a call that began at start.
//
// Unless the sender goroutine is writing, the call writes what is queued up
// to its own metric (its attempts' datagrams and its own, and any left by
// calls that ended unreported) with as few system calls as it can, none of
// which waits for room in the socket's buffer: what the buffer cannot take
// now is left to the sender goroutine, which it wakes. So a program that
// returns from main right after such a call has sent its metrics. It does
// so even if m itself was dropped because the queue was full.
//
// The exception is a call of a dense sequence: one that ends less than
// denseGap after the previous call that found the sender not writing (less
// than lingerStep if the sender lingers between looks). It leaves its
// metrics to the sender, waking it if it sleeps; the sender then takes the
// sequence in batches while it lingers. But a call that contains the
// previous one, having begun before it, writes its own when the sender
// sleeps: the previous one ran inside it, as an STS call fetching the
// call's credentials does, and a program that makes one call makes both.
// A call writes at most maxCallBatches batches; a longer backlog is left to
// the sender.
func (rep *Reporter) PushCall(m *Metric, start Tick) {
	rep.push(m, true, start)
}

// push is Push, with the call's start when started is set.
func (rep *Reporter) push(m *Metric, started bool, start Tick) {
	_, state, target := rep.queue.add(m)
	if m.Kind == KindAPICall && state != senderBusy {
		rep.callEnded(state, started, start, target)
	}
}

// callEnded writes the queue's records up to target on the calling
// goroutine, or leaves them to the sender, at the end of a call that found
// the sender asleep or lingering (see PushCall).
func (rep *Reporter) callEnded(state senderState, started bool, start Tick, target uint64) {
	now := int64(Now())
	// An unknown start is taken as the call's end for this call, and as
	// the earliest start for the next: no call is taken to contain it.
	recorded := int64(start)
	if !started {
		start, recorded = Tick(now), math.MinInt64
	}
	// Two swaps, not one atomic pair: calls that end at once may pair
	// one's end with another's start, which only misjudges a call as
	// dense or not.
	last, lastStart := rep.lastIdleEnd.Swap(now), rep.lastIdleStart.Swap(recorded)
	if denseCall(now, last, lastStart, state, start) || !rep.writeMu.TryLock() {
		rep.wakeIfAsleep(state)
		return
	}
	for batches := 0; rep.queue.pending(target); batches++ {
		if batches == maxCallBatches || !rep.w.sender.canSkipWait() {
			// A backlog, or one write per datagram, which could
			// wait for room (sendmmsg turned out to be refused): not
			// on a call. The sender takes the rest.
			rep.writeMu.Unlock()
			rep.queue.wakeSender()
			return
		}
		released, taken := rep.writeOnce(true)
		if taken == 0 {
			break // discarded by Shutdown
		}
		if released < taken {
			// The socket's buffer is full: the sender takes the rest.
			rep.writeMu.Unlock()
			rep.queue.wakeSender()
			return
		}
	}
	rep.writeMu.Unlock()
}

// maxCallBatches bounds the batches of up to maxBatch records a call
// writes when it ends; more queued before its own metric is a backlog,
// left to the sender.
const maxCallBatches = 4

// denseCall reports whether a call that began at start, ended at now and
// found the sender in state is one of a dense sequence (see PushCall).
//
// The sender asleep, it is if it ended less than denseGap after last, the
// end of the previous call that found the sender not writing, unless it
// contains that call, which began at lastStart: that one ran inside it, as
// an STS call fetching its credentials does.
//
// The sender lingering, it is if it ended less than lingerStep after last:
// the sender looks at the queue that often, and takes it with the others.
// A call that comes alone after a batch or a Flush writes its own.
func denseCall(now, last, lastStart int64, state senderState, start Tick) bool {
	if state == senderLingering {
		return now-last < int64(lingerStep)
	}
	return now-last < int64(denseGap) && int64(start) >= lastStart
}

// wakeIfAsleep wakes the sender goroutine if it was asleep when the call
// ended; a lingering one looks at the queue soon enough.
func (rep *Reporter) wakeIfAsleep(state senderState) {
	if state == senderAsleep {
		rep.queue.wakeSender()
	}
}

// DropIfPaused reports whether the reporter is paused and, if it is,
// counts one metric as not produced (Stats.DroppedPaused). An integration
// calls it where it would build a metric, and builds none when it returns
// true.
func (rep *Reporter) DropIfPaused() bool {
	if rep.paused.Load() {
		rep.stats.droppedPaused.Add(1)
		return true
	}
	return false
}

// close stops the sender goroutine and closes the socket, once. Metrics
// still queued are discarded, and later ones are dropped.
func (rep *Reporter) close() {
	rep.closeOnce.Do(func() {
		rep.queue.close()
		close(rep.stop)
		<-rep.done
		// A call may be writing its datagrams: it finishes first. What
		// is still queued is discarded, so that a call that ends later
		// finds nothing to write to the closed socket.
		rep.writeMu.Lock()
		rep.queue.discard()
		_ = rep.conn.Close()
		rep.writeMu.Unlock()
	})
}

// Shutdown writes what is queued, waiting until ctx is done at most, and
// then stops the reporter: its goroutine ends and its socket is closed.
// Metrics produced afterwards are dropped and counted in DroppedFull. If
// rep is the process's reporter, Start then starts a new one. Shutdown
// returns ctx.Err() if ctx ended before everything queued was written; the
// reporter stops either way. Calling it again, or on a nil reporter, does
// nothing.
func (rep *Reporter) Shutdown(ctx context.Context) error {
	if rep == nil {
		return nil
	}
	err := rep.Flush(ctx)
	mu.Lock()
	if running == rep {
		running = nil
	}
	mu.Unlock()
	rep.close()
	return err
}

// The methods from here on are those csm and csmv2 publish on their
// Reporter: they do nothing on a nil reporter, as the original package's
// do.

// Pause stops the reporter from producing metrics until Continue; the calls
// made meanwhile are counted in Stats.DroppedPaused. Metrics already queued
// are still sent.
func (rep *Reporter) Pause() {
	if rep != nil {
		rep.paused.Store(true)
	}
}

// Continue resumes reporting after Pause.
func (rep *Reporter) Continue() {
	if rep != nil {
		rep.paused.Store(false)
	}
}

// Stats returns a snapshot of the reporter's counters; zero Stats for a
// nil reporter.
func (rep *Reporter) Stats() Stats {
	if rep == nil {
		return Stats{}
	}
	return rep.stats.snapshot(rep.queue)
}

// Flush waits until every metric queued before the call has been written to
// the agent's socket, or until ctx is done, in which case it returns
// ctx.Err(). It returns at once once the reporter is shut down.
func (rep *Reporter) Flush(ctx context.Context) error {
	if rep == nil {
		return nil
	}
	return rep.queue.flush(ctx)
}
