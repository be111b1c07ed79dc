package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// redacted replaces the value of SessionToken in --json output.
const redacted = `"REDACTED"`

// appendCallLine appends the plain line for an ApiCall event:
//
//	15:04:05.000 DynamoDB GetItem 400 ProvisionedThroughputExceededException attempts=4 latency=57ms retries-exceeded client=my-app
//
// The time is the call's start (its Timestamp), or received for an event
// without one, in loc; the status is the final HTTP status code, "-"
// without a response; the exception, the retries-exceeded mark and the
// client ID appear when there are some.
func appendCallLine(dst []byte, e *event, loc *time.Location, received time.Time) []byte {
	at := received
	if e.Timestamp > 0 {
		at = time.UnixMilli(e.Timestamp)
	}
	dst = at.In(loc).AppendFormat(dst, "15:04:05.000")
	dst = append(dst, ' ')
	dst = append(dst, printable(clip(e.Service))...)
	dst = append(dst, ' ')
	dst = append(dst, printable(clip(e.API))...)
	dst = append(dst, ' ')
	code, exception := e.status()
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
	dst = append(dst, formatMs(roundMs(e.Latency))...)
	if e.MaxRetriesExceeded != 0 {
		dst = append(dst, " retries-exceeded"...)
	}
	if e.ClientID != "" {
		dst = append(dst, " client="...)
		dst = append(dst, printable(clip(e.ClientID))...)
	}
	return append(dst, '\n')
}

// appendJSONLine appends the JSON object raw on one line, with the value
// of its SessionToken replaced by "REDACTED": the token is a credential.
func appendJSONLine(dst []byte, raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return dst // cannot happen: raw was decoded
	}
	dst = append(dst, redactSessionToken(b.Bytes())...)
	return append(dst, '\n')
}

// redactSessionToken returns the compact JSON object obj with the value of
// each of its top-level SessionToken fields (matched without regard to
// case, as encoding/json matches them) replaced by "REDACTED". Everything
// else stays as it was, in its order.
func redactSessionToken(obj []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var out []byte
	last := 0 // obj[:last] is in out, when out is not nil
	depth := 0
	expectKey := false
	token := false // the value being read belongs to SessionToken
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
			if depth == 1 {
				expectKey = true // after the opening brace, or a nested value
			}
			continue
		}
		if depth != 1 {
			continue
		}
		if expectKey {
			key, _ := tok.(string)
			token = strings.EqualFold(key, "SessionToken")
			expectKey = false
			continue
		}
		if token {
			// obj[start:end] is the colon and the value: the object
			// is compact.
			end := int(dec.InputOffset())
			out = append(out, obj[last:start]...)
			out = append(out, ':')
			out = append(out, redacted...)
			last = end
			token = false
		}
		expectKey = true
	}
	if out == nil {
		return obj
	}
	return append(out, obj[last:]...)
}

// printable replaces the control characters of s, which could drive a
// terminal, with '?', and returns "-" for an empty s.
func printable(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
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

// formatMs formats a latency in milliseconds: "57ms", "1.25s", "2m3s".
func formatMs(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + "ms"
	}
	return (time.Duration(ms) * time.Millisecond).String()
}
