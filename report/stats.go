package report

import "sync/atomic"

// Stats is a snapshot of a reporter's counters since it was started. The
// public packages' Stats types have the same fields, in the same order, so
// that a conversion turns one into the other.
//
// Every metric the SDK handlers produce is counted exactly once as Queued,
// DroppedFull or DroppedPaused. Every queued metric is, once the sender has
// taken it from the queue, counted exactly once as Sent or WriteErrors.
type Stats struct {
	// Queued is the number of metrics accepted into the queue.
	Queued uint64
	// Sent is the number of datagrams written to the agent's socket.
	Sent uint64
	// DroppedFull is the number of metrics dropped because the queue was
	// full.
	DroppedFull uint64
	// DroppedPaused is the number of metrics not produced because the
	// reporter was paused.
	DroppedPaused uint64
	// WriteErrors is the number of datagrams whose write failed, for
	// example because no agent was listening.
	WriteErrors uint64
}

// counters are the live values behind Stats that the queue does not keep.
type counters struct {
	sent          atomic.Uint64
	droppedPaused atomic.Uint64
	writeErrors   atomic.Uint64
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
	st.Queued, st.DroppedFull = q.counts()
	return st
}
