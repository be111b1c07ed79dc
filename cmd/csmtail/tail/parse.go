package tail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// The two kinds of CSM event.
const (
	typeAPICall        = "ApiCall"
	typeAPICallAttempt = "ApiCallAttempt"
)

// event is one CSM metric: an ApiCall or ApiCallAttempt object from a
// datagram. It declares every field of the wire format, so that a field of
// the wrong JSON type makes the object bad even when csmtail does not show
// that field; fields it does not declare are ignored.
type event struct {
	Type      string `json:"Type"`
	Version   int    `json:"Version"`
	ClientID  string `json:"ClientId"`
	Service   string `json:"Service"`
	API       string `json:"Api"`
	Timestamp int64  `json:"Timestamp"` // milliseconds since the Unix epoch

	Fqdn      string `json:"Fqdn"`
	Region    string `json:"Region"`
	UserAgent string `json:"UserAgent"`
	AccessKey string `json:"AccessKey"`
	// SessionToken is a credential: csmtail never shows it.
	SessionToken string `json:"SessionToken"`

	// ApiCall. The latencies are milliseconds; they are read as numbers of
	// any kind, as some senders may write fractions.
	AttemptCount             int     `json:"AttemptCount"`
	Latency                  float64 `json:"Latency"`
	FinalHTTPStatusCode      int     `json:"FinalHttpStatusCode"`
	FinalAwsException        string  `json:"FinalAwsException"`
	FinalAwsExceptionMessage string  `json:"FinalAwsExceptionMessage"`
	FinalSdkException        string  `json:"FinalSdkException"`
	FinalSdkExceptionMessage string  `json:"FinalSdkExceptionMessage"`
	MaxRetriesExceeded       int     `json:"MaxRetriesExceeded"`

	// ApiCallAttempt.
	AttemptLatency      float64 `json:"AttemptLatency"`
	HTTPStatusCode      int     `json:"HttpStatusCode"`
	AwsException        string  `json:"AwsException"`
	AwsExceptionMessage string  `json:"AwsExceptionMessage"`
	SdkException        string  `json:"SdkException"`
	SdkExceptionMessage string  `json:"SdkExceptionMessage"`
	XAmzRequestID       string  `json:"XAmzRequestId"`
	XAmznRequestID      string  `json:"XAmznRequestId"`
	XAmzID2             string  `json:"XAmzId2"`
	DestinationIP       string  `json:"DestinationIp"`
	// The HTTP timing fields are pointers: a sender that does not time
	// its attempts leaves them out, which is not the same as 0.
	ConnectionReused         *int     `json:"ConnectionReused"`
	AcquireConnectionLatency *float64 `json:"AcquireConnectionLatency"`
	ConnectLatency           *float64 `json:"ConnectLatency"`
	DNSLatency               *float64 `json:"DnsLatency"`
	TCPLatency               *float64 `json:"TcpLatency"`
	SSLLatency               *float64 `json:"SslLatency"`
	RequestLatency           *float64 `json:"RequestLatency"`

	// raw is the object as it came, for --json.
	raw json.RawMessage
}

// status returns the HTTP status code and exception of the event: the final
// ones of an ApiCall, those of an ApiCallAttempt. The exception is the AWS
// one if there is one, else the SDK one, else empty.
func (e *event) status() (code int, exception string) {
	if e.Type == typeAPICall {
		code, exception = e.FinalHTTPStatusCode, e.FinalAwsException
		if exception == "" {
			exception = e.FinalSdkException
		}
		return code, exception
	}
	exception = e.AwsException
	if exception == "" {
		exception = e.SdkException
	}
	return e.HTTPStatusCode, exception
}

// failed reports whether the call or attempt failed: it has an exception or
// an HTTP status code of 400 or more.
func (e *event) failed() bool {
	code, exception := e.status()
	return exception != "" || code >= 400
}

// badReason tells why a datagram is bad.
type badReason string

// The reasons a datagram is bad, in the order the parser meets them.
const (
	// badEmpty: no object at all (nothing, white space, an empty array).
	badEmpty badReason = "empty"
	// badTooLarge: larger than the receiver accepts, so the kernel cut it.
	badTooLarge badReason = "too_large"
	// badNotJSON: not JSON, or JSON cut short.
	badNotJSON badReason = "not_json"
	// badWrongType: a value that is not an object (or an array of
	// objects), or a known field of the wrong JSON type.
	badWrongType badReason = "wrong_type"
	// badUnknownType: an object whose Type is missing or is neither
	// ApiCall nor ApiCallAttempt.
	badUnknownType badReason = "unknown_type"
)

// badReasons lists every reason, for counters that start at zero.
var badReasons = [...]badReason{badEmpty, badTooLarge, badNotJSON, badWrongType, badUnknownType}

// parsed is what a datagram holds.
type parsed struct {
	events []event
	// bad is why the datagram is bad (the first problem met), or empty.
	// A bad datagram may still hold good events: those before a syntax
	// error, and the good objects beside a bad one.
	bad badReason
}

// parseDatagram reads the events of one datagram. It accepts what CSM
// senders write: one JSON object, a JSON array of objects, or several
// objects separated by white space (newlines), with white space around
// them. It never fails: what it cannot read makes the datagram bad.
func parseDatagram(b []byte) parsed {
	var p parsed
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A syntax error leaves the decoder where it is: stop.
			p.fail(badNotJSON)
			break
		}
		switch raw[0] { // a valid value, with no leading space
		case '{':
			p.addObject(raw)
		case '[':
			var elems []json.RawMessage
			if err := json.Unmarshal(raw, &elems); err != nil {
				p.fail(badNotJSON) // cannot happen: raw is valid JSON
				continue
			}
			for _, elem := range elems {
				if elem[0] == '{' {
					p.addObject(elem)
				} else {
					p.fail(badWrongType)
				}
			}
		default:
			p.fail(badWrongType)
		}
	}
	if len(p.events) == 0 {
		p.fail(badEmpty)
	}
	return p
}

// fail records why the datagram is bad, unless it already has a reason.
func (p *parsed) fail(r badReason) {
	if p.bad == "" {
		p.bad = r
	}
}

// addObject decodes one JSON object and keeps it if it is an event.
func (p *parsed) addObject(raw json.RawMessage) {
	var e event
	if err := json.Unmarshal(raw, &e); err != nil {
		// raw is valid JSON, so this is a field of the wrong type.
		p.fail(badWrongType)
		return
	}
	if e.Type != typeAPICall && e.Type != typeAPICallAttempt {
		p.fail(badUnknownType)
		return
	}
	e.raw = raw
	p.events = append(p.events, e)
}
