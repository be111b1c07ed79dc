package tail

import (
	"io"
	"math"
	"strconv"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// lineFormat is what the lines sink writes for each event.
type lineFormat int

const (
	linesPlain lineFormat = iota // a line of text per call
	linesJSON                    // every event as a JSON line
)

// linesSink writes a line per event, in the order the datagrams arrived,
// and with --show-bad a line per bad datagram. It buffers its output and
// writes it when the buffer is full, every interval and at the end; a slow
// writer slows this sink alone.
type linesSink struct {
	format  lineFormat
	out     *lineWriter
	badOut  io.Writer // nil unless --show-bad
	loc     *time.Location
	buf     []byte
	onWrite func() // tests: called after each datagram's lines are written
}

// newLinesSink returns a sink writing to out, and bad datagrams to badOut
// if it is not nil.
func newLinesSink(format lineFormat, out, badOut io.Writer, loc *time.Location) *linesSink {
	if loc == nil {
		loc = time.Local
	}
	return &linesSink{format: format, out: &lineWriter{w: out}, badOut: badOut, loc: loc}
}

func (s *linesSink) take(d *datagram) {
	if d.bad != "" && s.badOut != nil {
		s.out.flush() // keep the order of stdout and stderr
		_, _ = io.WriteString(s.badOut, badLine(d)+"\n")
	}
	s.buf = s.buf[:0]
	for i := range d.events {
		e := &d.events[i]
		switch s.format {
		case linesPlain:
			if e.Type == typeAPICall {
				s.buf = appendCallLine(s.buf, e, s.loc, d.received)
			}
		case linesJSON:
			s.buf = appendJSONLine(s.buf, e.Raw)
		}
	}
	s.out.add(s.buf)
	if s.onWrite != nil {
		s.out.flush()
		s.onWrite()
	}
}

func (s *linesSink) tick(time.Time) { s.out.flush() }

func (s *linesSink) close() { s.out.flush() }

// unwritten returns how many datagrams the sink took whose lines are not
// written yet.
func (s *linesSink) unwritten() uint64 { return s.out.held.Load() }

// badLine is the line that shows a bad datagram.
func badLine(d *datagram) string {
	return "bad datagram (" + string(d.bad) + ") from " + d.from.String() + ", " + d.badSample
}

// appendCallLine appends the plain line for an ApiCall event received at
// received:
//
//	15:04:05.123456 DynamoDB GetItem 400 ProvisionedThroughputExceededException attempts=4 latency=57ms retries-exceeded client=my-app
//
// The time is when csmtail received the call's datagram, which the SDK
// sends when the call ends, to the microsecond, in loc: lines come in the
// order the calls ended. The status is the final HTTP status code, "-"
// without a response; the exception, the retries-exceeded mark and the
// client ID appear when there are some.
func appendCallLine(dst []byte, e *event, loc *time.Location, received time.Time) []byte {
	dst = received.In(loc).AppendFormat(dst, "15:04:05.000000")
	dst = append(dst, ' ')
	dst = append(dst, printable(clip(e.Service))...)
	dst = append(dst, ' ')
	dst = append(dst, printable(clip(e.API))...)
	dst = append(dst, ' ')
	code, exception := e.Status()
	if code == 0 {
		dst = append(dst, '-')
	} else {
		dst = strconv.AppendInt(dst, int64(code), 10)
	}
	if exception != "" {
		dst = append(dst, ' ')
		dst = append(dst, printable(clip(exception))...)
	}
	dst = append(dst, " attempts="...)
	dst = strconv.AppendInt(dst, int64(e.AttemptCount), 10)
	dst = append(dst, " latency="...)
	dst = append(dst, formatLatency(e.Latency)...)
	if e.MaxRetriesExceeded != 0 {
		dst = append(dst, " retries-exceeded"...)
	}
	if e.ClientID != "" {
		dst = append(dst, " client="...)
		dst = append(dst, printable(clip(e.ClientID))...)
	}
	return append(dst, '\n')
}

// formatLatency formats a latency in milliseconds as precisely as it came:
// "57ms", "0.25ms", "1.25s", "2m3s". The SDKs send whole milliseconds,
// rounded down: "<1ms" for 0.
func formatLatency(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms < 0:
		return "-"
	case ms == 0:
		return "<1ms"
	case ms < 1000 && ms != math.Trunc(ms):
		return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case ms > float64(maxLatencyMs):
		ms = float64(maxLatencyMs)
	}
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Millisecond).String()
}

// appendJSONLine appends the JSON object raw on one line, with the value
// of its SessionToken replaced by "REDACTED" and its AccessKey masked.
func appendJSONLine(dst, raw []byte) []byte {
	return append(ingest.AppendRedacted(dst, raw), '\n')
}

// roundMs rounds a latency to whole milliseconds, negative ones to 0.
func roundMs(ms float64) int64 {
	switch {
	case ms <= 0 || math.IsNaN(ms):
		return 0
	case ms >= maxLatencyMs:
		return maxLatencyMs
	default:
		return int64(math.Round(ms))
	}
}
