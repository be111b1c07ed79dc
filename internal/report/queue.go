package report

import (
	"context"
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
)

const (
	// queueBytesPerMetric is the ring's size per metric of capacity.
	queueBytesPerMetric = 1024
	// recordHeader is the size of a record's length prefix in the ring.
	recordHeader = 2
	// wrapMarker in a length prefix sends the reader back to the ring's
	// start.
	wrapMarker = 0xFFFF
	// minQueueBytes lets an empty ring take two records of the largest
	// size.
	minQueueBytes = 2 * (recordHeader + maxRecordSize)
	// maxQueueBytes bounds the ring whatever the capacity asked.
	maxQueueBytes = 64 << 20
)

// queue is the bounded queue of records between the SDK handlers, which
// push metrics on the API call's goroutine, and the holder of the write
// token, which writes them.
//
// It is one fixed byte ring of records (see record.go), each behind a 2-byte
// little-endian length and always contiguous: a record that does not fit
// before the ring's end goes to its start, and the end is marked as skipped.
// Producers write into free space under mu; the token's holder reads the
// oldest records in place, encodes them, writes the datagrams and then
// releases the records' space.
//
// Records are numbered in the order they were pushed, from 1: a record's
// number is its ticket. A call is done with the queue once every record up
// to its ticket is settled: taken out of the ring (written or failed), or
// deferred to the sender goroutine (a record it holds while it waits for
// room is deferred).
type queue struct {
	mu       sync.Mutex
	buf      []byte
	head     int // where the next record goes
	tail     int // the oldest record not yet released
	count    int // records in the ring
	maxCount int

	queued  uint64 // records ever pushed: the last ticket
	dropped uint64 // records refused because the ring was full (or closed)
	written uint64 // records ever written (or failed)
	// deferredTo is the last ticket deferred to the sender goroutine;
	// deferred counts the records it took that were still in the ring.
	deferredTo uint64
	deferred   uint64
	// discarded is how many records were still queued when the reporter
	// closed: never written, nor counted as failed.
	discarded uint64
	closed    bool // the sender is gone: push refuses everything

	// settled is the last ticket settled, published for calls that check
	// it without mu: max(queued-count, deferredTo).
	settled atomic.Uint64
	// last is queued, published for EndCall, which reads it without mu.
	last atomic.Uint64

	// writing is the write token: whoever holds it (an API call's
	// goroutine or the sender goroutine) takes records from the ring and
	// writes them. Goroutines waiting for it, or for their ticket to be
	// settled, wait on turn, which every settlement and every release of
	// the token wakes.
	writing bool
	turn    sync.Cond

	wake     chan struct{} // capacity 1: work for the sender goroutine
	waiting  bool          // a Flush waits on progress
	progress chan struct{} // closed and replaced by release when waiting
}

func newQueue(capacity int) *queue {
	if capacity < 1 {
		capacity = 1
	}
	size := maxQueueBytes
	if capacity < maxQueueBytes/queueBytesPerMetric {
		size = capacity * queueBytesPerMetric
	}
	if size < minQueueBytes {
		size = minQueueBytes
	}
	q := &queue{
		buf:      make([]byte, size),
		maxCount: capacity,
		wake:     make(chan struct{}, 1),
		progress: make(chan struct{}),
	}
	q.turn.L = &q.mu
	return q
}

// take waits until every record up to ticket is settled, and returns
// false, or until it took the write token, and returns true. With ticket
// noTicket it only takes the token.
func (q *queue) take(ticket uint64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.settled.Load() >= ticket {
			return false
		}
		if !q.writing {
			q.writing = true
			return true
		}
		q.turn.Wait()
	}
}

// noTicket is take's ticket for a writer that has no records of its own.
const noTicket = math.MaxUint64

// give lets go of the write token.
func (q *queue) give() {
	q.mu.Lock()
	q.writing = false
	q.turn.Broadcast()
	q.mu.Unlock()
}

// push writes m's record into the ring, without blocking, and reports
// whether there was room, and the ticket that settles it: the last record
// pushed so far, m's own if it went in. It cuts m's strings to their
// limits. A refused record wakes the sender goroutine: the ring is full of
// records that it may have to write.
func (q *queue) push(m *Metric) (ok bool, ticket uint64) {
	size := m.recordSize()
	need := recordHeader + size
	q.mu.Lock()
	at := -1
	if !q.closed {
		at = q.reserveLocked(need)
	}
	if at < 0 {
		q.dropped++
		ticket = q.queued
		q.mu.Unlock()
		q.wakeSender()
		return false, ticket
	}
	binary.LittleEndian.PutUint16(q.buf[at:], uint16(size))
	m.putRecord(q.buf[at+recordHeader : at+need])
	q.head = at + need
	q.count++
	q.queued++
	q.last.Store(q.queued)
	ticket = q.queued
	q.mu.Unlock()
	return true, ticket
}

// len returns the number of records in the ring.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count
}

// isSettled reports whether every record up to ticket is settled.
func (q *queue) isSettled(ticket uint64) bool {
	return q.settled.Load() >= ticket
}

// settleLocked publishes the last ticket settled, and wakes the goroutines
// that wait for theirs. mu must be held.
func (q *queue) settleLocked() {
	s := q.queued - uint64(q.count)
	if q.deferredTo > s {
		s = q.deferredTo
	}
	if s != q.settled.Load() {
		q.settled.Store(s)
		q.turn.Broadcast()
	}
}

// deferTo defers the records up to ticket still in the ring to the sender
// goroutine, counts them, and wakes it: their calls return without them.
func (q *queue) deferTo(ticket uint64) {
	q.mu.Lock()
	from := q.queued - uint64(q.count)
	if q.deferredTo > from {
		from = q.deferredTo
	}
	if ticket > from {
		q.deferred += ticket - from
		q.deferredTo = ticket
		q.settleLocked()
	}
	q.mu.Unlock()
	q.wakeSender()
}

// deferAll is deferTo for every record pushed so far.
func (q *queue) deferAll() {
	q.mu.Lock()
	ticket := q.queued
	q.mu.Unlock()
	q.deferTo(ticket)
}

// wakeSender gives the sender goroutine work to look for.
func (q *queue) wakeSender() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// reserveLocked returns where a record of need bytes goes, or -1 if the ring
// is full, marking the ring's end as skipped when the record wraps. mu must
// be held.
func (q *queue) reserveLocked(need int) int {
	if q.count == q.maxCount {
		return -1
	}
	if q.count == 0 {
		// Nothing is held by a writer: start over at the beginning.
		q.head, q.tail = 0, 0
	}
	if q.count == 0 || q.head > q.tail {
		// The records are in [tail, head); free are [head, end) and
		// [0, tail).
		if len(q.buf)-q.head >= need {
			return q.head
		}
		if q.tail >= need {
			if len(q.buf)-q.head >= recordHeader {
				binary.LittleEndian.PutUint16(q.buf[q.head:], wrapMarker)
			}
			return 0
		}
		return -1
	}
	// The records are in [tail, end) and [0, head); free is [head, tail).
	if q.tail-q.head >= need {
		return q.head
	}
	return -1
}

// peek appends to dst up to max of the oldest records, as slices of the
// ring that stay valid until release, and returns them. It does not block.
func (q *queue) peek(dst [][]byte, max int) [][]byte {
	q.mu.Lock()
	n := q.count
	pos := q.tail
	q.mu.Unlock()
	if n > max {
		n = max
	}
	// The records between tail and the count read above were written
	// before mu was released and are not touched by producers until they
	// are released, so they can be read without the lock.
	for i := 0; i < n; i++ {
		if len(q.buf)-pos < recordHeader {
			pos = 0
		}
		size := int(binary.LittleEndian.Uint16(q.buf[pos:]))
		if size == wrapMarker {
			pos = 0
			size = int(binary.LittleEndian.Uint16(q.buf[pos:]))
		}
		dst = append(dst, q.buf[pos+recordHeader:pos+recordHeader+size])
		pos += recordHeader + size
	}
	return dst
}

// end returns the position in the ring after rec, a record from peek.
func (q *queue) end(rec []byte) int {
	return cap(q.buf) - cap(rec) + len(rec)
}

// release frees the space of the n oldest records, the last of which is
// last (from peek), and counts done of them as written: the others are
// held by the sender goroutine until it calls complete.
func (q *queue) release(n int, last []byte, done int) {
	q.mu.Lock()
	q.tail = q.end(last)
	q.count -= n
	q.settleLocked()
	q.completeLocked(done)
	q.mu.Unlock()
}

// hold frees the space of the oldest record, rec from peek, which the
// sender goroutine writes without the token, waiting for room, and defers
// it: a call that finds it settled returns before it is written.
func (q *queue) hold(rec []byte) {
	q.mu.Lock()
	if ticket := q.queued - uint64(q.count) + 1; ticket > q.deferredTo {
		q.deferred++
		q.deferredTo = ticket
	}
	q.tail = q.end(rec)
	q.count--
	q.settleLocked()
	q.mu.Unlock()
}

// complete counts n records taken out of the ring as written.
func (q *queue) complete(n int) {
	q.mu.Lock()
	q.completeLocked(n)
	q.mu.Unlock()
}

// completeLocked counts n records as written and wakes Flush. mu must be
// held.
func (q *queue) completeLocked(n int) {
	q.written += uint64(n)
	if q.waiting && n > 0 {
		q.waiting = false
		close(q.progress)
		q.progress = make(chan struct{})
	}
}

// counts returns how many records were ever queued, dropped, deferred and
// discarded.
func (q *queue) counts() (queued, dropped, deferred, discarded uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued, q.dropped, q.deferred, q.discarded
}

// discard empties the ring of a closed queue, counting what it held as
// discarded, so that nothing is written after the socket is closed.
func (q *queue) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.discarded += uint64(q.count)
	q.count, q.head, q.tail = 0, 0, 0
	q.settleLocked()
}

// close makes push refuse every record from now on.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	if q.waiting {
		q.waiting = false
		close(q.progress)
		q.progress = make(chan struct{})
	}
	q.mu.Unlock()
}

// flush waits until every record pushed before the call has been written,
// or until ctx is done.
func (q *queue) flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.queued
	for q.written < target && !q.closed {
		q.waiting = true
		progress := q.progress
		q.mu.Unlock()
		q.wakeSender()
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
	return nil
}
