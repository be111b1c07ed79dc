package csm

import "github.com/opencsm/csm-go/internal/report"

// Stats is a snapshot of a reporter's counters since it was started. It is
// the same type as csmv2.Stats: the aws-sdk-go and aws-sdk-go-v2
// integrations share one reporter and one set of counters. Its fields:
//
//   - Queued: the metrics accepted into the queue.
//   - Sent: the datagrams written to the agent's socket.
//   - DroppedFull: the metrics dropped because the queue was full, or
//     because the reporter had shut down.
//   - DroppedPaused: the metrics not produced because the reporter was
//     paused.
//   - WriteErrors: the datagrams whose write failed, for example because
//     no agent was listening.
//   - Discarded: the queued metrics never written because the reporter shut
//     down first (Shutdown's context ended).
//   - LastWriteError: the error of the most recent failed write, or nil if
//     none failed. The reporter never prints it.
//
// Every metric the SDK handlers produce is counted exactly once as Queued,
// DroppedFull or DroppedPaused. Every queued metric is, once written or
// failed, counted exactly once as Sent or WriteErrors, or as Discarded.
type Stats = report.Stats
