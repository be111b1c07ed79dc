package report

import (
	"net/netip"
	"unicode/utf8"
)

// Kind tells the two kinds of datagram apart.
type Kind uint8

const (
	KindAPICall Kind = iota + 1
	KindAPICallAttempt
)

// String returns the datagram's "Type" value.
func (k Kind) String() string {
	if k == KindAPICall {
		return "ApiCall"
	}
	return "ApiCallAttempt"
}

// Limits on the raw length of string fields, in bytes. The first group are
// those of the other AWS SDKs' CSM implementations; the second bounds fields
// the SDKs leave unbounded, so that a datagram always fits in maxDatagramSize.
const (
	maxClientIDLen         = 255
	maxUserAgentLen        = 256
	maxExceptionLen        = 128
	maxExceptionMessageLen = 512

	maxNameLen      = 128 // Service and Api
	maxFqdnLen      = 255 // the longest DNS name
	maxRegionLen    = 64
	maxAccessKeyLen = 128
	maxRequestIDLen = 256
)

// maxDatagramSize is the largest datagram the reporter sends. Receivers
// commonly read into 8 KiB buffers.
const maxDatagramSize = 8192

// Metric is one CSM datagram before encoding. It is a plain value with no
// pointers to the request, so it can be queued and encoded after the API
// call has moved on. Empty strings and zero status codes are left out of the
// datagram; ClientId, Timestamp and the latency and count fields are always
// written. The exported fields are those csm and csmv2 set themselves; the
// others are set by Reporter.ReadRequest, ReadResponse, SetException and
// AttemptTrace.Fill.
type Metric struct {
	Kind      Kind
	ClientID  string
	API       string
	Service   string
	Timestamp int64 // milliseconds since the Unix epoch

	// ApiCall only.
	AttemptCount       int
	Latency            int64 // milliseconds
	MaxRetriesExceeded bool

	// ApiCallAttempt only.
	fqdn           string
	AttemptLatency int64 // milliseconds
	sessionToken   string
	accessKey      string
	xAmzID2        string
	xAmzRequestID  string
	xAmznRequestID string

	// Both kinds. On an ApiCall they are written as the Final* fields and
	// describe the last attempt.
	userAgent           string
	Region              string
	HTTPStatusCode      int
	awsException        string
	awsExceptionMessage string
	sdkException        string
	sdkExceptionMessage string

	// The HTTP timing of an attempt, when it was measured. Each of these
	// fields is written only when its bit is set in timed (0 ms is a
	// measurement).
	timed                    timingField
	connectionReused         bool
	acquireConnectionLatency int64 // milliseconds, as all the latencies
	connectLatency           int64
	requestLatency           int64
	dnsLatency               int64
	tcpLatency               int64
	sslLatency               int64
	destinationIP            netip.Addr // written when valid
}

// timingField is a set of the HTTP timing fields a metric has.
type timingField uint8

const (
	hasConnectionReused timingField = 1 << iota
	hasAcquireConnectionLatency
	hasConnectLatency
	hasRequestLatency
	hasDNSLatency
	hasTCPLatency
	hasSSLLatency
)

// truncate cuts every string field to its limit in bytes (see fields),
// never in the middle of a UTF-8 sequence.
func (m *Metric) truncate() {
	for i, s := range m.stringPtrs() {
		if limit := stringLimits[i]; limit > 0 && len(*s) > limit {
			*s = truncateString(*s, limit)
		}
	}
}

// truncateEscaped cuts every string field so that its JSON-escaped form fits
// in the field's limit. It is the fallback for metrics whose strings are
// mostly characters that escape to several bytes; with it, every field but
// the session token has a bounded encoded size.
func (m *Metric) truncateEscaped() {
	for i, s := range m.stringPtrs() {
		if limit := stringLimits[i]; limit > 0 {
			*s = truncateEscaped(*s, limit)
		}
	}
}

// truncateString returns the longest prefix of s that is at most n bytes
// long and does not end inside a UTF-8 sequence.
func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Find the start of the character the cut falls in; if that character
	// is a valid one that straddles the cut, cut before it. Invalid bytes
	// are cut where asked: the encoder replaces them anyway.
	i := n
	for back := 0; i > 0 && back < utf8.UTFMax-1 && !utf8.RuneStart(s[i]); back++ {
		i--
	}
	if _, size := utf8.DecodeRuneInString(s[i:]); size > 1 && i+size > n {
		return s[:i]
	}
	return s[:n]
}

// truncateEscaped returns the longest prefix of s, cut between characters,
// whose JSON-escaped form (without quotes) is at most n bytes long.
func truncateEscaped(s string, n int) string {
	size := 0
	for i := 0; i < len(s); {
		w, step := escapedLen(s, i)
		if size+w > n {
			return s[:i]
		}
		size += w
		i += step
	}
	return s
}
