package ingest

import (
	"encoding/json"
	"strconv"
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

// maxDepth is how deeply encoding/json lets arrays and objects nest.
const maxDepth = 10000

// Parse appends the events of the datagram b to dst and returns them, with
// why b is bad, or "" when it is good. It accepts what CSM senders write:
// one JSON object, a JSON array of objects, or several objects separated
// by white space (newlines), with white space around them. It reads b as
// encoding/json's Decoder would read it into a struct of the wire format's
// fields: fields it does not know are skipped, a known field of the wrong
// JSON type makes its object bad, keys match without regard to case, the
// last of two equal keys wins. It never fails: what it cannot read makes
// the datagram bad, and the reason is the first problem met. A bad
// datagram may still hold good events: those before a syntax error, and
// the good objects beside a bad one. The events' Raw fields point into b.
//
// Parse reads b once, from start to end, without reflection; it is safe
// for concurrent use.
func Parse(dst []Event, b []byte) ([]Event, BadReason) {
	return parse(dst, b, nil)
}

// Parser parses datagrams as Parse does, and keeps the names it has read
// (ClientId, Service, Api, Fqdn, Region, UserAgent, exceptions,
// DestinationIp) so that a name it has seen costs no new string. It keeps
// at most maxNames names of at most MaxNameLen bytes, and starts afresh
// when it has that many. A Parser is for one goroutine at a time; its zero
// value is ready to use.
type Parser struct {
	names map[string]string
}

// maxNames is how many names a Parser keeps.
const maxNames = 4096

// Parse is Parse, with p's names.
func (p *Parser) Parse(dst []Event, b []byte) ([]Event, BadReason) {
	return parse(dst, b, p)
}

// name returns the string of b, the one kept if there is one.
func (p *Parser) name(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= MaxNameLen {
		if p.names == nil || len(p.names) >= maxNames {
			p.names = make(map[string]string)
		}
		p.names[s] = s
	}
	return s
}

// parse is Parse, with the names of names if it is not nil.
func parse(dst []Event, b []byte, names *Parser) ([]Event, BadReason) {
	p := parser{b: b, events: dst, names: names}
	start := len(dst)
	for {
		p.i = skipSpace(b, p.i)
		if p.i >= len(b) {
			break
		}
		// A value is read whole before it is used, as encoding/json's
		// Decoder does: a syntax error anywhere in it undoes it.
		mark, bad := len(p.events), p.bad
		if !p.topValue() {
			clear(p.events[mark:])
			p.events, p.bad = p.events[:mark], bad
			p.fail(BadNotJSON)
			break
		}
	}
	if len(p.events) == start {
		p.fail(BadEmpty)
	}
	return p.events, p.bad
}

// parser is the state of one Parse: b[i:] is what is left to read.
type parser struct {
	b      []byte
	i      int
	events []Event
	bad    BadReason
	names  *Parser // nil for none
}

// fail records why the datagram is bad, unless it already has a reason.
func (p *parser) fail(r BadReason) {
	if p.bad == "" {
		p.bad = r
	}
}

// topValue reads a value of the datagram's top level, at b[i], and adds
// its events. It reports false for a syntax error.
func (p *parser) topValue() bool {
	switch p.b[p.i] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	}
	if !p.skipValue(0) {
		return false
	}
	p.fail(BadWrongType)
	return true
}

// array reads an array of objects at b[i].
func (p *parser) array() bool {
	b := p.b
	p.i = skipSpace(b, p.i+1)
	if p.i < len(b) && b[p.i] == ']' {
		p.i++
		return true
	}
	for {
		if p.i >= len(b) {
			return false
		}
		if b[p.i] == '{' {
			if !p.object() {
				return false
			}
		} else {
			if !p.skipValue(1) {
				return false
			}
			p.fail(BadWrongType)
		}
		p.i = skipSpace(b, p.i)
		if p.i >= len(b) {
			return false
		}
		switch b[p.i] {
		case ',':
			p.i = skipSpace(b, p.i+1)
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

// object reads an object at b[i] and adds it if it is an event.
func (p *parser) object() bool {
	b := p.b
	start := p.i
	var e Event
	var typ string
	wrong := false
	p.i = skipSpace(b, p.i+1)
	if p.i < len(b) && b[p.i] == '}' {
		p.i++
		p.fail(BadUnknownType)
		return true
	}
	for {
		if p.i >= len(b) || b[p.i] != '"' {
			return false
		}
		ks := p.i
		esc, ok := p.skipString()
		if !ok {
			return false
		}
		var f field
		if esc {
			var key string
			if json.Unmarshal(b[ks:p.i], &key) != nil {
				return false // cannot happen: a valid string
			}
			f = lookupField(key)
		} else {
			f = lookupField(string(b[ks+1 : p.i-1]))
		}
		p.i = skipSpace(b, p.i)
		if p.i >= len(b) || b[p.i] != ':' {
			return false
		}
		p.i = skipSpace(b, p.i+1)
		if p.i >= len(b) {
			return false
		}
		vs := p.i
		if !p.skipValue(1) {
			return false
		}
		if f != fNone && !wrong {
			if !p.setField(&e, &typ, f, b[vs:p.i]) {
				wrong = true
			}
		}
		p.i = skipSpace(b, p.i)
		if p.i >= len(b) {
			return false
		}
		switch b[p.i] {
		case ',':
			p.i = skipSpace(b, p.i+1)
		case '}':
			p.i++
			switch {
			case wrong:
				p.fail(BadWrongType)
			case typ != TypeAPICall && typ != TypeAPICallAttempt:
				p.fail(BadUnknownType)
			default:
				e.Type = typ
				e.Raw = b[start:p.i:p.i]
				p.events = append(p.events, e)
			}
			return true
		default:
			return false
		}
	}
}

// setField sets field f of e (the Type goes to typ) from the valid JSON
// value v, as encoding/json would set it. It reports false for a value of
// the wrong JSON type for the field.
func (p *parser) setField(e *Event, typ *string, f field, v []byte) bool {
	if v[0] == 'n' { // null: no change, but a pointer becomes nil
		switch f {
		case fConnectionReused:
			e.ConnectionReused = nil
		case fAcquireConnectionLatency, fConnectLatency, fDNSLatency, fTCPLatency, fSSLLatency, fRequestLatency:
			*floatPtr(e, f) = nil
		}
		return true
	}
	switch kindOf(f) {
	case kString:
		if v[0] != '"' {
			return false
		}
		switch f {
		case fType:
			*typ = stringValue(v, TypeAPICall, TypeAPICallAttempt)
		case fAccessKey, fSessionToken:
			// Secrets are checked, not kept.
		case fClientID, fService, fAPI, fFqdn, fRegion, fUserAgent, fFinalAwsException, fFinalSdkException,
			fAwsException, fSdkException, fDestinationIP:
			if p.names != nil && validString(v[1:len(v)-1]) {
				*stringPtr(e, f) = p.names.name(v[1 : len(v)-1])
			} else {
				*stringPtr(e, f) = stringValue(v, "", "")
			}
		default:
			*stringPtr(e, f) = stringValue(v, "", "")
		}
		return true
	case kInt, kIntPtr:
		if !isNumber(v[0]) {
			return false
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || (f != fTimestamp && int64(int(n)) != n) {
			return false
		}
		switch f {
		case fTimestamp:
			e.Timestamp = n
		case fConnectionReused:
			x := int(n)
			e.ConnectionReused = &x
		default:
			*intPtr(e, f) = int(n)
		}
		return true
	default: // kFloat, kFloatPtr
		if !isNumber(v[0]) {
			return false
		}
		x, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return false
		}
		switch f {
		case fLatency:
			e.Latency = x
		case fAttemptLatency:
			e.AttemptLatency = x
		default:
			*floatPtr(e, f) = &x
		}
		return true
	}
}

// isNumber tells whether a valid JSON value starting with c is a number.
func isNumber(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// stringValue returns the text of the valid JSON string v: one of the
// constants a or b if it equals one (no copy), else a new string.
func stringValue(v []byte, a, b string) string {
	in := v[1 : len(v)-1]
	if validString(in) {
		switch string(in) {
		case a:
			return a
		case b:
			return b
		}
		return string(in)
	}
	// Escapes or bytes that are not UTF-8: rare, and undone exactly as
	// encoding/json undoes them.
	var s string
	_ = json.Unmarshal(v, &s)
	return s
}

// stringPtr returns the string field f of e.
func stringPtr(e *Event, f field) *string {
	switch f {
	case fClientID:
		return &e.ClientID
	case fService:
		return &e.Service
	case fAPI:
		return &e.API
	case fFqdn:
		return &e.Fqdn
	case fRegion:
		return &e.Region
	case fUserAgent:
		return &e.UserAgent
	case fFinalAwsException:
		return &e.FinalAwsException
	case fFinalAwsExceptionMessage:
		return &e.FinalAwsExceptionMessage
	case fFinalSdkException:
		return &e.FinalSdkException
	case fFinalSdkExceptionMessage:
		return &e.FinalSdkExceptionMessage
	case fAwsException:
		return &e.AwsException
	case fAwsExceptionMessage:
		return &e.AwsExceptionMessage
	case fSdkException:
		return &e.SdkException
	case fSdkExceptionMessage:
		return &e.SdkExceptionMessage
	case fXAmzRequestID:
		return &e.XAmzRequestID
	case fXAmznRequestID:
		return &e.XAmznRequestID
	case fXAmzID2:
		return &e.XAmzID2
	case fDestinationIP:
		return &e.DestinationIP
	}
	panic("ingest: not a string field: " + fieldNames[f])
}

// intPtr returns the int field f of e.
func intPtr(e *Event, f field) *int {
	switch f {
	case fVersion:
		return &e.Version
	case fAttemptCount:
		return &e.AttemptCount
	case fFinalHTTPStatusCode:
		return &e.FinalHTTPStatusCode
	case fMaxRetriesExceeded:
		return &e.MaxRetriesExceeded
	case fHTTPStatusCode:
		return &e.HTTPStatusCode
	}
	panic("ingest: not an int field: " + fieldNames[f])
}

// floatPtr returns the timing field f of e.
func floatPtr(e *Event, f field) **float64 {
	switch f {
	case fAcquireConnectionLatency:
		return &e.AcquireConnectionLatency
	case fConnectLatency:
		return &e.ConnectLatency
	case fDNSLatency:
		return &e.DNSLatency
	case fTCPLatency:
		return &e.TCPLatency
	case fSSLLatency:
		return &e.SSLLatency
	case fRequestLatency:
		return &e.RequestLatency
	}
	panic("ingest: not a timing field: " + fieldNames[f])
}
