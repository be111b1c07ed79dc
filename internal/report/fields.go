package report

// This file is the one place that lists a metric's fields. Everything that
// handles every field (cutting strings to their limits, the queue's record,
// the JSON encoding) walks the table below; adding a field to Metric takes
// one entry in fields, one index constant and one line in the accessor of
// its type (stringPtrs, or numbers and setNumbers), then regenerating the
// encoder (encode_gen.go: go test -run TestGeneratedEncoder -update-encoder).
// TestEveryFieldTravels fails for a field of Metric that is left out, and
// TestGeneratedEncoder for an encoder that is not the table's.

// The indexes of the string fields, in the order of the array stringPtrs
// returns.
const (
	sClientID = iota
	sAPI
	sService
	sFqdn
	sUserAgent
	sSessionToken
	sRegion
	sAccessKey
	sXAmzID2
	sXAmznRequestID
	sXAmzRequestID
	sAWSException
	sAWSExceptionMessage
	sSDKException
	sSDKExceptionMessage
	numStrings
)

// stringPtrs returns pointers to m's string fields, by index.
func (m *Metric) stringPtrs() [numStrings]*string {
	return [numStrings]*string{
		sClientID:            &m.ClientID,
		sAPI:                 &m.API,
		sService:             &m.Service,
		sFqdn:                &m.fqdn,
		sUserAgent:           &m.userAgent,
		sSessionToken:        &m.sessionToken,
		sRegion:              &m.Region,
		sAccessKey:           &m.accessKey,
		sXAmzID2:             &m.xAmzID2,
		sXAmznRequestID:      &m.xAmznRequestID,
		sXAmzRequestID:       &m.xAmzRequestID,
		sAWSException:        &m.awsException,
		sAWSExceptionMessage: &m.awsExceptionMessage,
		sSDKException:        &m.sdkException,
		sSDKExceptionMessage: &m.sdkExceptionMessage,
	}
}

// The indexes of the numeric fields (booleans and small enumerations
// included), in the order of the array numbers returns.
const (
	nKind = iota
	nTimestamp
	nAttemptCount
	nLatency
	nMaxRetriesExceeded
	nAttemptLatency
	nHTTPStatusCode
	nTimed
	nConnectionReused
	nAcquireConnectionLatency
	nConnectLatency
	nRequestLatency
	nDNSLatency
	nTCPLatency
	nSSLLatency
	numNumbers
)

// numbers returns m's numeric fields, by index.
func (m *Metric) numbers() [numNumbers]int64 {
	return [numNumbers]int64{
		nKind:                     int64(m.Kind),
		nTimestamp:                m.Timestamp,
		nAttemptCount:             int64(m.AttemptCount),
		nLatency:                  m.Latency,
		nMaxRetriesExceeded:       boolInt(m.MaxRetriesExceeded),
		nAttemptLatency:           m.AttemptLatency,
		nHTTPStatusCode:           int64(m.HTTPStatusCode),
		nTimed:                    int64(m.timed),
		nConnectionReused:         boolInt(m.connectionReused),
		nAcquireConnectionLatency: m.acquireConnectionLatency,
		nConnectLatency:           m.connectLatency,
		nRequestLatency:           m.requestLatency,
		nDNSLatency:               m.dnsLatency,
		nTCPLatency:               m.tcpLatency,
		nSSLLatency:               m.sslLatency,
	}
}

// setNumbers sets m's numeric fields from v, as numbers returns them.
func (m *Metric) setNumbers(v *[numNumbers]int64) {
	m.Kind = Kind(v[nKind])
	m.Timestamp = v[nTimestamp]
	m.AttemptCount = int(v[nAttemptCount])
	m.Latency = v[nLatency]
	m.MaxRetriesExceeded = v[nMaxRetriesExceeded] != 0
	m.AttemptLatency = v[nAttemptLatency]
	m.HTTPStatusCode = int(v[nHTTPStatusCode])
	m.timed = timingField(v[nTimed])
	m.connectionReused = v[nConnectionReused] != 0
	m.acquireConnectionLatency = v[nAcquireConnectionLatency]
	m.connectLatency = v[nConnectLatency]
	m.requestLatency = v[nRequestLatency]
	m.dnsLatency = v[nDNSLatency]
	m.tcpLatency = v[nTCPLatency]
	m.sslLatency = v[nSSLLatency]
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// How a field is written in a datagram.
type encoding uint8

const (
	// encString is a string field, written when it is not empty.
	encString encoding = iota
	// encStringAlways is a string field written even when empty.
	encStringAlways
	// encNumber is a number written always.
	encNumber
	// encNonZero is a number written when it is not 0.
	encNonZero
	// encTimed is a number written when its timingField bit is set in
	// Timed, whatever its value (0 ms is a measurement).
	encTimed
	// encType is the metric's Kind, written as its name.
	encType
	// encVersion is the constant 1 of the datagram's version.
	encVersion
	// encAddr is destinationIP, written when it is valid.
	encAddr
)

// field is one JSON field of a datagram and where its value comes from.
type field struct {
	// attempt and call are the field's names in an ApiCallAttempt and in
	// an ApiCall; "" when that kind of datagram does not have it.
	attempt, call string
	enc           encoding
	// idx is the field's index in stringPtrs (string encodings) or in
	// numbers (the others but encAddr, encType and encVersion).
	idx int
	// limit is the most bytes a string keeps; 0 for no limit.
	limit int
	// bit is the field's timingField, for encTimed.
	bit timingField
}

// fields lists every field of a datagram, in the order the original
// package's encoding/json writes them.
var fields = [...]field{
	{attempt: "ClientId", call: "ClientId", enc: encStringAlways, idx: sClientID, limit: maxClientIDLen},
	{attempt: "Api", call: "Api", enc: encStringAlways, idx: sAPI, limit: maxNameLen},
	{attempt: "Service", call: "Service", enc: encStringAlways, idx: sService, limit: maxNameLen},
	{attempt: "Timestamp", call: "Timestamp", enc: encNumber, idx: nTimestamp},
	{attempt: "Type", call: "Type", enc: encType, idx: nKind},
	{attempt: "Version", call: "Version", enc: encVersion},
	{call: "AttemptCount", enc: encNumber, idx: nAttemptCount},
	{call: "Latency", enc: encNumber, idx: nLatency},
	{attempt: "Fqdn", call: "Fqdn", enc: encString, idx: sFqdn, limit: maxFqdnLen},
	{attempt: "UserAgent", call: "UserAgent", enc: encString, idx: sUserAgent, limit: maxUserAgentLen},
	{attempt: "AttemptLatency", enc: encNumber, idx: nAttemptLatency},
	// The session token is never cut: a partial token is useless. A
	// datagram it would not fit in goes without it.
	{attempt: "SessionToken", call: "SessionToken", enc: encString, idx: sSessionToken},
	{attempt: "Region", call: "Region", enc: encString, idx: sRegion, limit: maxRegionLen},
	{attempt: "AccessKey", call: "AccessKey", enc: encString, idx: sAccessKey, limit: maxAccessKeyLen},
	{attempt: "HttpStatusCode", call: "FinalHttpStatusCode", enc: encNonZero, idx: nHTTPStatusCode},
	{attempt: "XAmzId2", enc: encString, idx: sXAmzID2, limit: maxRequestIDLen},
	{attempt: "XAmznRequestId", enc: encString, idx: sXAmznRequestID, limit: maxRequestIDLen},
	{attempt: "XAmzRequestId", enc: encString, idx: sXAmzRequestID, limit: maxRequestIDLen},
	{attempt: "AwsException", call: "FinalAwsException", enc: encString, idx: sAWSException, limit: maxExceptionLen},
	{attempt: "AwsExceptionMessage", call: "FinalAwsExceptionMessage", enc: encString, idx: sAWSExceptionMessage, limit: maxExceptionMessageLen},
	{attempt: "SdkException", call: "FinalSdkException", enc: encString, idx: sSDKException, limit: maxExceptionLen},
	{attempt: "SdkExceptionMessage", call: "FinalSdkExceptionMessage", enc: encString, idx: sSDKExceptionMessage, limit: maxExceptionMessageLen},
	{attempt: "DestinationIp", enc: encAddr},
	{attempt: "ConnectionReused", enc: encTimed, idx: nConnectionReused, bit: hasConnectionReused},
	{attempt: "AcquireConnectionLatency", enc: encTimed, idx: nAcquireConnectionLatency, bit: hasAcquireConnectionLatency},
	{attempt: "ConnectLatency", enc: encTimed, idx: nConnectLatency, bit: hasConnectLatency},
	{attempt: "RequestLatency", enc: encTimed, idx: nRequestLatency, bit: hasRequestLatency},
	{attempt: "DnsLatency", enc: encTimed, idx: nDNSLatency, bit: hasDNSLatency},
	{attempt: "TcpLatency", enc: encTimed, idx: nTCPLatency, bit: hasTCPLatency},
	{attempt: "SslLatency", enc: encTimed, idx: nSSLLatency, bit: hasSSLLatency},
	{call: "MaxRetriesExceeded", enc: encNumber, idx: nMaxRetriesExceeded},
}

// stringLimits is the limit of each string field, from fields.
var stringLimits = func() (limits [numStrings]int) {
	for _, f := range fields {
		if f.enc == encString || f.enc == encStringAlways {
			limits[f.idx] = f.limit
		}
	}
	return limits
}()
