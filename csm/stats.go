package csm

// Stats is a snapshot of a reporter's counters since it was started.
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
