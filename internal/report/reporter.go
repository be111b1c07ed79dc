package report

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Reporter queues the metrics of API calls and sends them to the CSM agent.
// A process has at most one running, shared by the aws-sdk-go and
// aws-sdk-go-v2 integrations (see Start). Its methods are safe for
// concurrent use.
//
// When an API call ends, its goroutine writes its call's datagrams to the
// agent's socket before the call returns, and so a program may exit as soon
// as its last call returns (see Push). The sender goroutine only writes what
// calls could not: when the socket's buffer is full, a backlog longer than a
// call writes, and for Flush and Shutdown.
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

	// w is the scratch space of the write token's holder (see queue).
	w writer
	// callsDefer is set once the sender has no write that never waits
	// (see newSender): calls then defer their records to the sender
	// goroutine rather than wait for the token, which it may hold while
	// it waits for room.
	callsDefer atomic.Bool
	closeOnce  sync.Once

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
	// held is the datagram the sender goroutine writes, without the
	// token, when the socket's buffer is full.
	held []byte
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
			encoded:   make([]byte, 0, maxBatch*maxDatagramSize),
		},
	}
	// A socket dialed to "localhost" or to an empty host is connected to
	// a loopback address (127.0.0.0/8 or ::1).
	rep.sendToken.Store(conn.RemoteAddr().(*net.UDPAddr).IP.IsLoopback())
	rep.callsDefer.Store(!rep.w.sender.canSkipWait())
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

// maxCallBatches bounds the batches a call writes when it ends: a longer
// backlog ahead of its own records is left to the sender goroutine.
const maxCallBatches = 8

// run is the sender goroutine: each time it is given work (a full socket
// buffer, a backlog, a Flush), it writes everything queued.
func (rep *Reporter) run() {
	defer close(rep.done)
	for {
		select {
		case <-rep.queue.wake:
			rep.drain()
		case <-rep.stop:
			return
		}
	}
}

// drain writes everything queued, a batch at a time, letting go of the
// write token between batches. Where the socket's buffer is full, it takes
// the first datagram that did not fit out of the queue and waits for room
// to write it without the token, so that no call ever waits for the token
// longer than a few system calls that never wait.
func (rep *Reporter) drain() {
	for {
		select {
		case <-rep.stop:
			return // closing: what is left is discarded
		default:
		}
		rep.queue.take(noTicket)
		released, taken := rep.writeOnce()
		if released == taken {
			rep.queue.give()
			if taken == 0 {
				return
			}
			// Let the goroutines waiting for this one's processor (the
			// API calls, with GOMAXPROCS=1) run between batches.
			runtime.Gosched()
			continue
		}
		w := &rep.w
		w.held = append(w.held[:0], w.datagrams[released]...)
		rep.queue.hold(w.records[released])
		rep.queue.give()
		_, err := rep.conn.Write(w.held)
		rep.count(1, err)
		rep.queue.complete(1)
	}
}

// count counts n datagrams as sent, or as failed with err.
func (rep *Reporter) count(n int, err error) {
	if err == nil {
		rep.stats.sent.Add(uint64(n))
		return
	}
	rep.stats.writeErrors.Add(uint64(n))
	rep.stats.setLastError(err)
}

// writeOnce writes up to maxBatch of the oldest queued records with one
// system call, releases those written or failed, and returns how many it
// released and how many it took. It stops where the socket's buffer is
// full, leaving the rest queued, unless the sender has no write that never
// waits (then only the sender goroutine calls it). The write token must be
// held.
func (rep *Reporter) writeOnce() (released, taken int) {
	w := &rep.w
	w.records = rep.queue.peek(w.records[:0], maxBatch)
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

	sent, failed, err := w.sender.send(w.datagrams)
	if !w.sender.canSkipWait() {
		rep.callsDefer.Store(true) // sendmmsg turned out to be refused
	}
	rep.stats.sent.Add(uint64(sent))
	if failed > 0 {
		rep.stats.writeErrors.Add(uint64(failed))
	}
	if err != nil {
		rep.stats.setLastError(err)
	}
	released = sent + failed
	if released > 0 {
		rep.queue.release(released, w.records[released-1], released)
	}
	return released, len(w.records)
}

// Push queues m without waiting for room; the queue counts the outcome. It
// copies what it keeps, so m may be reused as soon as Push returns.
//
// An ApiCall metric ends its call: Push returns once the datagrams of
// every metric pushed before it, the call's attempts and its own, have been
// written to the agent's socket, so that a program may exit as soon as the
// call returns. The only exceptions are counted in Stats: a metric dropped
// because the queue was full, and metrics deferred to the sender goroutine
// because the socket's buffer was full, or because more were queued ahead
// of the call than it writes.
//
// This is group commit. The call that ends takes the write token, lets the
// goroutines waiting for a processor run while the queue grows (up to a
// batch), and writes everything queued, its own records included, in
// batches of up to maxBatch datagrams per system call, none of which waits
// for room, looking at the queue again after each batch, until it is empty
// or the call wrote maxCallBatches batches. Calls that end while another
// holds the token wait for it; the holder writes their records with its
// own, and they return as soon as they find them settled, having written
// nothing. An attempt's metric is only queued: its call's end writes it.
func (rep *Reporter) Push(m *Metric) {
	_, ticket := rep.queue.push(m)
	if m.Kind == KindAPICall {
		rep.commit(ticket)
	}
}

// EndCall ends a call whose ApiCall metric is not produced (the reporter
// was paused before the call ended) but whose attempts may have been
// queued: it returns once every metric queued so far has been written or
// deferred, as Push of an ApiCall metric does. With nothing queued, it
// costs two atomic loads.
func (rep *Reporter) EndCall() {
	rep.commit(rep.queue.last.Load())
}

// commit returns once every record up to ticket is settled, writing what is
// queued if no other goroutine has (see Push).
func (rep *Reporter) commit(ticket uint64) {
	q := rep.queue
	if q.isSettled(ticket) {
		return
	}
	if rep.callsDefer.Load() {
		q.deferTo(ticket)
		return
	}
	if !q.take(ticket) {
		return // written by the goroutine that held the token
	}
	defer q.give()
	if rep.callsDefer.Load() {
		q.deferTo(ticket) // sendmmsg refused meanwhile
		return
	}
	// Let the goroutines that wait for a processor run first, as long as
	// calls end meanwhile and a batch is not full: those calls find the
	// token held and leave their records to this one, which writes them
	// all at once.
	for n := q.len(); n < maxBatch; {
		runtime.Gosched()
		m := q.len()
		if m == n {
			break
		}
		n = m
	}
	for batches := 0; ; batches++ {
		if batches == maxCallBatches {
			// A backlog ahead of the call's own records, or calls
			// that will write their own.
			q.deferTo(ticket)
			return
		}
		released, taken := rep.writeOnce()
		if taken == 0 {
			return // the queue is empty
		}
		if released < taken {
			// The socket's buffer is full: every call waiting for
			// the token would find it so too.
			q.deferAll()
			return
		}
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
		// The sender goroutine may wait for room in the socket's buffer.
		_ = rep.conn.SetWriteDeadline(time.Unix(1, 0))
		<-rep.done
		// A call may be writing its datagrams: it finishes first. What
		// is still queued is discarded, so that a call that ends later
		// finds nothing to write to the closed socket.
		rep.queue.take(noTicket)
		rep.queue.discard()
		_ = rep.conn.Close()
		rep.queue.give()
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
