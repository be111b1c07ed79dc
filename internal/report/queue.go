package report

import (
	"context"
	"encoding/binary"
	"sync"
)

// DefaultQueueCapacity is the default capacity of a reporter's queue, in
// metrics. BENCHMARKS.md has the measurements behind it.
const DefaultQueueCapacity = 4096

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

// queue is the bounded queue between the SDK handlers, which push metrics
// on the API call's goroutine, and the sender goroutine.
//
// It is one fixed byte ring of records (see record.go), each behind a 2-byte
// little-endian length and always contiguous: a record that does not fit
// before the ring's end goes to its start, and the end is marked as skipped.
// Producers write into free space under mu; the sender reads the oldest
// records in place, encodes them, writes the datagrams and then releases
// the records' space, counting them as written.
type queue struct {
	mu       sync.Mutex
	buf      []byte
	head     int // where the next record goes
	tail     int // the oldest record not yet released
	count    int // records in the ring
	maxCount int

	queued  uint64 // records ever pushed
	dropped uint64 // records refused because the ring was full (or closed)
	written uint64 // records ever written (or failed) by the sender
	// discarded is how many records were still queued when the reporter
	// closed: never written, nor counted as failed.
	discarded uint64
	closed    bool // the sender is gone: push refuses everything

	// sleeping is whether the sender goroutine waits on wake. It starts
	// true, so that a call made before the goroutine first runs still
	// finds it idle and writes its own datagrams.
	sleeping bool
	// lingering is whether the sender waits for its linger timer (or a
	// wake): a push that finds the queue a quarter full wakes it early,
	// so that a late timer on a busy machine does not let the queue fill.
	lingering bool
	// idleLook is whether the lingering sender's last look at the queue
	// found nothing to write: no call came for a while, and one that ends
	// now may come alone (see Reporter.PushCall).
	idleLook bool
	wake     chan struct{} // capacity 1
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
	return &queue{
		buf:      make([]byte, size),
		maxCount: capacity,
		sleeping: true,
		wake:     make(chan struct{}, 1),
		progress: make(chan struct{}),
	}
}

// senderState is what the sender goroutine was doing when a record was
// pushed.
type senderState uint8

const (
	// senderBusy: writing, or about to look at the queue, or gone.
	senderBusy senderState = iota
	// senderLingering: waiting for its next look at the queue, the last
	// one having found nothing to write.
	senderLingering
	// senderAsleep: waiting to be woken.
	senderAsleep
)

// add is push that also reports what the sender goroutine was doing when
// the record went in, and the number of records written once every record
// pushed so far (this one included) is: the target of the call that ends
// with this record (see Reporter.PushCall). It never wakes a sleeping
// sender for an ApiCall metric, queued or dropped: the API call's end
// decides who writes.
func (q *queue) add(m *Metric) (ok bool, state senderState, target uint64) {
	size := m.recordSize()
	need := recordHeader + size
	q.mu.Lock()
	at := -1
	if !q.closed {
		at = q.reserveLocked(need)
	}
	if at < 0 {
		q.dropped++
		if q.closed || m.Kind != KindAPICall {
			// Records that wait for their call's end could fill the
			// ring with the sender asleep (a tiny queue, say): wake it.
			q.wakeLocked()
			q.mu.Unlock()
			return false, senderBusy, 0
		}
		// A dropped ApiCall still ends its call, whose attempts may be
		// queued.
		state, target = q.stateLocked(), q.written+uint64(q.count)
		q.mu.Unlock()
		return false, state, target
	}
	binary.LittleEndian.PutUint16(q.buf[at:], uint16(size))
	m.putRecord(q.buf[at+recordHeader : at+need])
	q.head = at + need
	q.count++
	q.queued++
	state, target = q.stateLocked(), q.written+uint64(q.count)
	if q.lingering && q.count >= q.maxCount/4 {
		q.lingering = false
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	q.mu.Unlock()
	return true, state, target
}

// stateLocked returns what the sender goroutine is doing. mu must be held.
// Lingering after a look that found something to write, it is as good as
// busy: calls are coming, and it takes them at its next look.
func (q *queue) stateLocked() senderState {
	switch {
	case q.sleeping:
		return senderAsleep
	case q.lingering && q.idleLook:
		return senderLingering
	}
	return senderBusy
}

// pending reports whether fewer than target records were written (or
// failed) so far.
func (q *queue) pending(target uint64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.written < target
}

// wakeSender wakes the sender goroutine if it sleeps.
func (q *queue) wakeSender() {
	q.mu.Lock()
	q.wakeLocked()
	q.mu.Unlock()
}

// wakeLocked wakes the sender goroutine if it sleeps. mu must be held.
func (q *queue) wakeLocked() {
	if q.sleeping {
		q.sleeping = false
		select {
		case q.wake <- struct{}{}:
		default:
		}
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
		// Nothing is held by the sender: start over at the beginning.
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
// ring that stay valid until release, and returns them with the position
// after the last one. It does not block.
func (q *queue) peek(dst [][]byte, max int) (records [][]byte, next int) {
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
	return dst, pos
}

// end returns the position in the ring after rec, a record from peek.
func (q *queue) end(rec []byte) int {
	return cap(q.buf) - cap(rec) + len(rec)
}

// release frees the space of the n oldest records, which end at next (from
// peek), counts them as written, and wakes Flush.
func (q *queue) release(n, next int) {
	q.mu.Lock()
	q.tail = next
	q.count -= n
	q.written += uint64(n)
	if q.waiting {
		q.waiting = false
		close(q.progress)
		q.progress = make(chan struct{})
	}
	q.mu.Unlock()
}

// counts returns how many records were ever queued, dropped and discarded.
func (q *queue) counts() (queued, dropped, discarded uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued, q.dropped, q.discarded
}

// discard empties the ring of a closed queue, counting what it held as
// discarded, so that nothing is written after the socket is closed.
func (q *queue) discard() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.discarded += uint64(q.count)
	q.count, q.head, q.tail = 0, 0, 0
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

// linger marks the sender as waiting for its linger timer, after a look at
// the queue that found something to write or, if idle, nothing; it returns
// the channel that a push sends on when the queue gets deep meanwhile.
func (q *queue) linger(idle bool) <-chan struct{} {
	q.mu.Lock()
	q.lingering, q.idleLook = true, idle
	q.mu.Unlock()
	return q.wake
}

// stopLinger marks the sender as no longer lingering.
func (q *queue) stopLinger() {
	q.mu.Lock()
	q.lingering = false
	q.mu.Unlock()
}

// wait blocks until it is woken (see wakeSender) or stop is closed, and
// reports whether it was woken. It returns at once, without sleeping, if a
// record was queued while the sender was awake.
func (q *queue) wait(stop <-chan struct{}) bool {
	q.mu.Lock()
	// Records queued while the sender was awake (lingering) are its own
	// to write, unless the call that ended with them wrote them: no call
	// will wake it for them. Records queued while it slept, as at its
	// start, are left to the call that ends, or to the push that wakes
	// it: taking an attempt here would let its call find the sender awake
	// and leave it, unwritten, to a program that exits.
	if q.count > 0 && !q.sleeping {
		q.mu.Unlock()
		return true
	}
	q.sleeping = true
	q.mu.Unlock()
	select {
	case <-q.wake:
		return true
	case <-stop:
		return false
	}
}

// flush waits until every record pushed before the call has been written,
// or until ctx is done.
func (q *queue) flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.queued
	for q.written < target && !q.closed {
		// A record can wait for its call's end while the sender
		// sleeps (see Reporter.Push): Flush does not wait for that.
		q.wakeLocked()
		q.waiting = true
		progress := q.progress
		q.mu.Unlock()
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
