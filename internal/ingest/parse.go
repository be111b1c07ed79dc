package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// BadReason tells why a datagram is bad; empty for a good one.
type BadReason string

// The reasons a datagram is bad.
const (
	// BadEmpty: no object at all (nothing, white space, an empty array).
	BadEmpty BadReason = "empty"
	// BadTooLarge: larger than the receiver reads, so it was cut. Parse
	// never returns it; a receiver sets it for a [Packet] that is
	// Truncated.
	BadTooLarge BadReason = "too_large"
	// BadNotJSON: not JSON, or JSON cut short.
	BadNotJSON BadReason = "not_json"
	// BadWrongType: a value that is not an object (or an array of
	// objects), or a known field of the wrong JSON type.
	BadWrongType BadReason = "wrong_type"
	// BadUnknownType: an object whose Type is missing or is neither
	// ApiCall nor ApiCallAttempt.
	BadUnknownType BadReason = "unknown_type"
)

// BadReasons lists every reason, in a fixed order, for counters that start
// at zero.
var BadReasons = [...]BadReason{BadEmpty, BadTooLarge, BadNotJSON, BadWrongType, BadUnknownType}

// Parse appends the events of the datagram b to dst and returns them, with
// why b is bad, or "" when it is good. It accepts what CSM senders write:
// one JSON object, a JSON array of objects, or several objects separated
// by white space (newlines), with white space around them. It reads b as
// encoding/json would: fields it does not know are skipped, a known field
// of the wrong JSON type makes its object bad, keys match without regard
// to case. It never fails: what it cannot read makes the datagram bad, and
// the reason is the first problem met. A bad datagram may still hold good
// events: those before a syntax error, and the good objects beside a bad
// one. The events' Raw fields point into b.
func Parse(dst []Event, b []byte) ([]Event, BadReason) {
	p := parser{events: dst, start: len(dst)}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A syntax error leaves the decoder where it is: stop.
			p.fail(BadNotJSON)
			break
		}
		// raw is a copy: point into b instead.
		off := int(start) + bytes.IndexByte(b[start:], raw[0])
		raw = b[off : off+len(raw)]
		switch raw[0] { // a valid value, with no leading space
		case '{':
			p.addObject(raw)
		case '[':
			p.addArray(raw)
		default:
			p.fail(BadWrongType)
		}
	}
	if len(p.events) == p.start {
		p.fail(BadEmpty)
	}
	return p.events, p.bad
}

// parser is the state of one Parse.
type parser struct {
	events []Event
	start  int // len(events) before this datagram
	bad    BadReason
}

// fail records why the datagram is bad, unless it already has a reason.
func (p *parser) fail(r BadReason) {
	if p.bad == "" {
		p.bad = r
	}
}

// addArray adds the objects of a valid JSON array.
func (p *parser) addArray(raw []byte) {
	i := skipSpace(raw, 1)
	if raw[i] == ']' {
		return
	}
	for {
		end := valueEnd(raw, i)
		if raw[i] == '{' {
			p.addObject(raw[i:end])
		} else {
			p.fail(BadWrongType)
		}
		i = skipSpace(raw, end)
		if raw[i] == ']' {
			return
		}
		i = skipSpace(raw, i+1) // the comma
	}
}

// addObject decodes one valid JSON object and keeps it if it is an event.
func (p *parser) addObject(raw []byte) {
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		// raw is valid JSON, so this is a field of the wrong type.
		p.fail(BadWrongType)
		return
	}
	if w.Type != TypeAPICall && w.Type != TypeAPICallAttempt {
		p.fail(BadUnknownType)
		return
	}
	e := w.event()
	e.Raw = raw
	p.events = append(p.events, e)
}
