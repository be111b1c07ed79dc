package csm

import "github.com/opencsm/csm-go/internal/report"

// Stats is a snapshot of a reporter's counters since it was started. It is
// the same type as csmv2.Stats: the aws-sdk-go and aws-sdk-go-v2
// integrations share one reporter and one set of counters.
//
// Every metric the SDK handlers produce is counted exactly once as Queued,
// DroppedFull or DroppedPaused. Every queued metric is, once written or
// failed, counted exactly once as Sent or WriteErrors (or Discarded, if the
// reporter shut down before writing it); LastWriteError keeps
// the error of the most recent failed write.
type Stats = report.Stats
