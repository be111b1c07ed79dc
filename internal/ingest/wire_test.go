package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// wireEvent is an Event as encoding/json reads it, with every field of the
// wire format, secrets included: the reference Parse agrees with.
type wireEvent struct {
	Type         string `json:"Type"`
	Version      int    `json:"Version"`
	ClientID     string `json:"ClientId"`
	Service      string `json:"Service"`
	API          string `json:"Api"`
	Timestamp    int64  `json:"Timestamp"`
	Fqdn         string `json:"Fqdn"`
	Region       string `json:"Region"`
	UserAgent    string `json:"UserAgent"`
	AccessKey    string `json:"AccessKey"`
	SessionToken string `json:"SessionToken"`

	AttemptCount             int     `json:"AttemptCount"`
	Latency                  float64 `json:"Latency"`
	FinalHTTPStatusCode      int     `json:"FinalHttpStatusCode"`
	FinalAwsException        string  `json:"FinalAwsException"`
	FinalAwsExceptionMessage string  `json:"FinalAwsExceptionMessage"`
	FinalSdkException        string  `json:"FinalSdkException"`
	FinalSdkExceptionMessage string  `json:"FinalSdkExceptionMessage"`
	MaxRetriesExceeded       int     `json:"MaxRetriesExceeded"`

	AttemptLatency           float64  `json:"AttemptLatency"`
	HTTPStatusCode           int      `json:"HttpStatusCode"`
	AwsException             string   `json:"AwsException"`
	AwsExceptionMessage      string   `json:"AwsExceptionMessage"`
	SdkException             string   `json:"SdkException"`
	SdkExceptionMessage      string   `json:"SdkExceptionMessage"`
	XAmzRequestID            string   `json:"XAmzRequestId"`
	XAmznRequestID           string   `json:"XAmznRequestId"`
	XAmzID2                  string   `json:"XAmzId2"`
	DestinationIP            string   `json:"DestinationIp"`
	ConnectionReused         *int     `json:"ConnectionReused"`
	AcquireConnectionLatency *float64 `json:"AcquireConnectionLatency"`
	ConnectLatency           *float64 `json:"ConnectLatency"`
	DNSLatency               *float64 `json:"DnsLatency"`
	TCPLatency               *float64 `json:"TcpLatency"`
	SSLLatency               *float64 `json:"SslLatency"`
	RequestLatency           *float64 `json:"RequestLatency"`
}

// event returns the Event of w, without its secrets.
func (w *wireEvent) event() Event {
	return Event{
		Type: w.Type, Version: w.Version, ClientID: w.ClientID, Service: w.Service, API: w.API, Timestamp: w.Timestamp,
		Fqdn: w.Fqdn, Region: w.Region, UserAgent: w.UserAgent,
		AttemptCount: w.AttemptCount, Latency: w.Latency, FinalHTTPStatusCode: w.FinalHTTPStatusCode,
		FinalAwsException: w.FinalAwsException, FinalAwsExceptionMessage: w.FinalAwsExceptionMessage,
		FinalSdkException: w.FinalSdkException, FinalSdkExceptionMessage: w.FinalSdkExceptionMessage,
		MaxRetriesExceeded: w.MaxRetriesExceeded,
		AttemptLatency:     w.AttemptLatency, HTTPStatusCode: w.HTTPStatusCode,
		AwsException: w.AwsException, AwsExceptionMessage: w.AwsExceptionMessage,
		SdkException: w.SdkException, SdkExceptionMessage: w.SdkExceptionMessage,
		XAmzRequestID: w.XAmzRequestID, XAmznRequestID: w.XAmznRequestID, XAmzID2: w.XAmzID2, DestinationIP: w.DestinationIP,
		ConnectionReused: w.ConnectionReused, AcquireConnectionLatency: w.AcquireConnectionLatency,
		ConnectLatency: w.ConnectLatency, DNSLatency: w.DNSLatency, TCPLatency: w.TCPLatency,
		SSLLatency: w.SSLLatency, RequestLatency: w.RequestLatency,
	}
}

// referenceParse is Parse written with encoding/json's Decoder and
// Unmarshal: the reference the parser must agree with.
func referenceParse(b []byte) ([]Event, BadReason) {
	var events []Event
	var bad BadReason
	fail := func(r BadReason) {
		if bad == "" {
			bad = r
		}
	}
	addObject := func(raw []byte) {
		var w wireEvent
		if err := json.Unmarshal(raw, &w); err != nil {
			fail(BadWrongType) // raw is valid JSON: a field of the wrong type
			return
		}
		if w.Type != TypeAPICall && w.Type != TypeAPICallAttempt {
			fail(BadUnknownType)
			return
		}
		e := w.event()
		e.Raw = raw
		events = append(events, e)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(BadNotJSON) // a syntax error stops the decoder
			break
		}
		off := int(start) + bytes.IndexByte(b[start:], raw[0])
		raw = b[off : off+len(raw)]
		switch raw[0] {
		case '{':
			addObject(raw)
		case '[':
			var elems []json.RawMessage
			_ = json.Unmarshal(raw, &elems)
			for _, elem := range elems {
				// elem is a copy: find it in raw.
				if elem[0] == '{' {
					i := bytes.Index(raw, elem)
					addObject(raw[i : i+len(elem)])
				} else {
					fail(BadWrongType)
				}
			}
		default:
			fail(BadWrongType)
		}
	}
	if len(events) == 0 {
		fail(BadEmpty)
	}
	return events, bad
}
