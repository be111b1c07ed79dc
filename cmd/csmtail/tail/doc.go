// Package tail is csmtail: a receiver of AWS SDK Client Side Monitoring
// (CSM) datagrams that knows only their wire format. Command csmtail runs
// it; other programs (csm-go's demo) can run it in their own process with
// Run.
//
// # Pipeline
//
// A datagram goes receive → parse → admit → sinks. The receive loop reads
// the socket, parses the datagram's JSON objects, and admits each event's
// names (service, API, exception, client, region, SDK) against the limits
// before anything is counted, so that the number of rows and series stays
// bounded whatever arrives: past a limit a name is folded into "(other)"
// and the fold is counted. It then hands the datagram to every sink — the
// live view's aggregator, the lines (--plain, --json) and the Prometheus
// metrics — each through a bounded queue of its own: a slow sink misses
// datagrams, counted per sink, and never makes the receive loop wait.
//
// # Secrets
//
// csmtail never shows a session token: --json, --show-bad and the live
// view's recent bad datagrams show "REDACTED" in its place, wherever the
// key appears and whatever its case or escapes. An access key ID is never
// a label; where a datagram is shown it is masked to its last four
// characters ("****WXYZ").
package tail
