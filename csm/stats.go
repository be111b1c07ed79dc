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
//   - Deferred: the queued metrics that the call producing them left to
//     the reporter's goroutine (the socket's buffer was full, or a backlog
//     was ahead of it): a program that exits right after such a call
//     loses them unless it calls Flush or Shutdown. They are counted as
//     Sent or WriteErrors too once written.
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
