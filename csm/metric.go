package csm

import (
	"net/netip"
	"unicode/utf8"
)

// metricKind tells the two kinds of datagram apart.
type metricKind uint8

const (
	kindAPICall metricKind = iota + 1
	kindAPICallAttempt
)

// String returns the datagram's "Type" value.
func (k metricKind) String() string {
	if k == kindAPICall {
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

// metric is one CSM datagram before encoding. It is a plain value with no
// pointers to the request, so it can be queued and encoded after the API
// call has moved on. Empty strings and zero status codes are left out of the
// datagram; ClientId, Timestamp and the latency and count fields are always
// written.
type metric struct {
	kind      metricKind
	clientID  string
	api       string
	service   string
	timestamp int64 // milliseconds since the Unix epoch

	// ApiCall only.
	attemptCount       int
	latency            int64 // milliseconds
	maxRetriesExceeded bool

	// ApiCallAttempt only.
	fqdn           string
	attemptLatency int64 // milliseconds
	sessionToken   string
	accessKey      string
	xAmzID2        string
	xAmzRequestID  string
	xAmznRequestID string

	// Both kinds. On an ApiCall they are written as the Final* fields and
	// describe the last attempt.
	userAgent           string
	region              string
	httpStatusCode      int
	awsException        string
	awsExceptionMessage string
	sdkException        string
	sdkExceptionMessage string

	// The HTTP timing of an attempt. Each of these fields is written only
	// when its bit is set in timed (0 ms is a measurement). The encoder
	// and the queue carry them; nothing gathers them yet.
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
	fieldConnectionReused timingField = 1 << iota
	fieldAcquireConnectionLatency
	fieldConnectLatency
	fieldRequestLatency
	fieldDNSLatency
	fieldTCPLatency
	fieldSSLLatency
)

// truncate cuts every string field to its limit in bytes, never in the
// middle of a UTF-8 sequence.
//
// It runs on the API call's goroutine for every metric, so each field is
// checked inline rather than through limitedStrings.
func (m *metric) truncate() {
	cut(&m.clientID, maxClientIDLen)
	cut(&m.api, maxNameLen)
	cut(&m.service, maxNameLen)
	cut(&m.fqdn, maxFqdnLen)
	cut(&m.accessKey, maxAccessKeyLen)
	cut(&m.xAmzID2, maxRequestIDLen)
	cut(&m.xAmzRequestID, maxRequestIDLen)
	cut(&m.xAmznRequestID, maxRequestIDLen)
	cut(&m.userAgent, maxUserAgentLen)
	cut(&m.region, maxRegionLen)
	cut(&m.awsException, maxExceptionLen)
	cut(&m.awsExceptionMessage, maxExceptionMessageLen)
	cut(&m.sdkException, maxExceptionLen)
	cut(&m.sdkExceptionMessage, maxExceptionMessageLen)
}

// cut cuts *s to n bytes with truncateString if it is longer.
func cut(s *string, n int) {
	if len(*s) > n {
		*s = truncateString(*s, n)
	}
}

// truncateEscaped cuts every string field so that its JSON-escaped form fits
// in the field's limit. It is the fallback for metrics whose strings are
// mostly characters that escape to several bytes; with it, every field but
// the session token has a bounded encoded size.
func (m *metric) truncateEscaped() {
	for _, f := range m.limitedStrings() {
		*f.s = truncateEscaped(*f.s, f.limit)
	}
}

// limitedString is a string field and its limit.
type limitedString struct {
	s     *string
	limit int
}

// limitedStrings lists every string field but the session token, with its
// limit: those truncate cuts.
func (m *metric) limitedStrings() [14]limitedString {
	return [14]limitedString{
		{&m.clientID, maxClientIDLen},
		{&m.api, maxNameLen},
		{&m.service, maxNameLen},
		{&m.fqdn, maxFqdnLen},
		{&m.accessKey, maxAccessKeyLen},
		{&m.xAmzID2, maxRequestIDLen},
		{&m.xAmzRequestID, maxRequestIDLen},
		{&m.xAmznRequestID, maxRequestIDLen},
		{&m.userAgent, maxUserAgentLen},
		{&m.region, maxRegionLen},
		{&m.awsException, maxExceptionLen},
		{&m.awsExceptionMessage, maxExceptionMessageLen},
		{&m.sdkException, maxExceptionLen},
		{&m.sdkExceptionMessage, maxExceptionMessageLen},
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
