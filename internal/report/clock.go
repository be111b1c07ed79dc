package report

import "time"

// Tick is a reading of the monotonic clock: the time since the process's
// clock base, taken when package report was initialized. Integrations time
// calls and attempts with it because reading it is one clock read, where
// time.Now reads both the wall clock and the monotonic clock.
//
// A Tick's Unix time (UnixMilli) is the base's wall-clock time plus the
// monotonic time elapsed since: it follows the rate adjustments NTP makes
// to the clock, but not a step of the wall clock made after the base was
// taken.
type Tick int64

// base is the clock base; baseUnixNano is its wall-clock time.
var (
	base         = time.Now()
	baseUnixNano = base.UnixNano()
)

// Now reads the monotonic clock once.
func Now() Tick {
	return Tick(time.Since(base))
}

// UnixMilli returns t as milliseconds since the Unix epoch, the metrics'
// Timestamp.
func (t Tick) UnixMilli() int64 {
	return (baseUnixNano + int64(t)) / int64(time.Millisecond)
}

// MillisSince returns the time from start to t, in milliseconds, the unit of the
// metrics' latencies.
func (t Tick) MillisSince(start Tick) int64 {
	return int64(t-start) / int64(time.Millisecond)
}
