package report

import (
	"errors"
	"sync/atomic"
	"syscall"
)

// Stats is a snapshot of a reporter's counters since it was started. The
// csm and csmv2 packages' Stats are this type.
//
// Every metric the SDK handlers produce is counted exactly once as Queued,
// DroppedFull or DroppedPaused. When an API call returns, the datagrams of
// its metrics are in the kernel, except those counted as DroppedFull,
// DroppedPaused or Deferred. Every queued metric is, once written or
// failed, counted exactly once as Sent or WriteErrors, or as Discarded if
// the reporter shut down before writing it.
type Stats struct {
	// Queued is the number of metrics accepted into the queue.
	Queued uint64
	// Sent is the number of datagrams written to the agent's socket.
	Sent uint64
	// DroppedFull is the number of metrics dropped because the queue was
	// full (or the reporter shut down).
	DroppedFull uint64
	// DroppedPaused is the number of metrics not produced because the
	// reporter was paused.
	DroppedPaused uint64
	// Deferred is the number of queued metrics that the call that
	// produced them did not write before it returned, leaving them to the
	// reporter's goroutine: the socket's buffer was full, or more metrics
	// were queued ahead of the call than a call writes. A program that
	// exits right after such a call loses them unless it calls Flush or
	// Shutdown. They are also counted as Sent or WriteErrors once written.
	Deferred uint64
	// WriteErrors is the number of datagrams whose write failed, for
	// example because no agent was listening.
	WriteErrors uint64
	// Discarded is the number of queued metrics that were never written
	// because the reporter shut down first (Shutdown's context ended).
	Discarded uint64
	// LastWriteError is the error of the most recent failed write, or nil
	// if none failed. The reporter never prints it.
	LastWriteError error
}

// counters are the live values behind Stats that the queue does not keep.
type counters struct {
	sent          atomic.Uint64
	droppedPaused atomic.Uint64
	writeErrors   atomic.Uint64
	lastError     atomic.Pointer[errorBox]
}

// errorBox holds an error for an atomic.Pointer, which, unlike
// atomic.Value, takes errors of any concrete type.
type errorBox struct{ err error }

// setLastError keeps err as the last write error. A failing socket fails
// every write the same way: an error of the same errno as the kept one is
// not stored again, so that a stream of failures allocates nothing more.
func (c *counters) setLastError(err error) {
	if old := c.lastError.Load(); old != nil && sameErrno(old.err, err) {
		return
	}
	c.lastError.Store(&errorBox{err})
}

// sameErrno reports whether a and b wrap the same system error number.
func sameErrno(a, b error) bool {
	var ea, eb syscall.Errno
	return errors.As(a, &ea) && errors.As(b, &eb) && ea == eb
}

// snapshot reads the counters. The sender's are read first: every metric
// they count was queued before, so a snapshot never shows more sent than
// queued.
func (c *counters) snapshot(q *queue) Stats {
	st := Stats{
		Sent:          c.sent.Load(),
		WriteErrors:   c.writeErrors.Load(),
		DroppedPaused: c.droppedPaused.Load(),
	}
	if box := c.lastError.Load(); box != nil {
		st.LastWriteError = box.err
	}
	st.Queued, st.DroppedFull, st.Deferred, st.Discarded = q.counts()
	return st
}
