package ingest

import (
	"strings"
	"unicode/utf8"
)

// field is a field of the wire format that Parse reads.
type field uint8

// The fields, in the order of fieldNames.
const (
	fNone field = iota // a field Parse skips
	fType
	fVersion
	fClientID
	fService
	fAPI
	fTimestamp
	fFqdn
	fRegion
	fUserAgent
	fAccessKey
	fSessionToken
	fAttemptCount
	fLatency
	fFinalHTTPStatusCode
	fFinalAwsException
	fFinalAwsExceptionMessage
	fFinalSdkException
	fFinalSdkExceptionMessage
	fMaxRetriesExceeded
	fAttemptLatency
	fHTTPStatusCode
	fAwsException
	fAwsExceptionMessage
	fSdkException
	fSdkExceptionMessage
	fXAmzRequestID
	fXAmznRequestID
	fXAmzID2
	fDestinationIP
	fConnectionReused
	fAcquireConnectionLatency
	fConnectLatency
	fDNSLatency
	fTCPLatency
	fSSLLatency
	fRequestLatency
	numFields
)

// fieldNames are the fields' JSON names.
var fieldNames = [numFields]string{
	"", "Type", "Version", "ClientId", "Service", "Api", "Timestamp", "Fqdn", "Region", "UserAgent",
	"AccessKey", "SessionToken", "AttemptCount", "Latency", "FinalHttpStatusCode",
	"FinalAwsException", "FinalAwsExceptionMessage", "FinalSdkException", "FinalSdkExceptionMessage",
	"MaxRetriesExceeded", "AttemptLatency", "HttpStatusCode", "AwsException", "AwsExceptionMessage",
	"SdkException", "SdkExceptionMessage", "XAmzRequestId", "XAmznRequestId", "XAmzId2",
	"DestinationIp", "ConnectionReused", "AcquireConnectionLatency", "ConnectLatency", "DnsLatency",
	"TcpLatency", "SslLatency", "RequestLatency",
}

// kind is the Go type of a field, which tells the JSON values it takes.
type kind uint8

const (
	kString   kind = iota // a JSON string
	kInt                  // a JSON number that is an integer
	kFloat                // any JSON number in float64's range
	kIntPtr               // kInt, or null for none
	kFloatPtr             // kFloat, or null for none
)

// kindOf returns the kind of f.
func kindOf(f field) kind {
	switch f {
	case fVersion, fTimestamp, fAttemptCount, fFinalHTTPStatusCode, fMaxRetriesExceeded, fHTTPStatusCode:
		return kInt
	case fLatency, fAttemptLatency:
		return kFloat
	case fConnectionReused:
		return kIntPtr
	case fAcquireConnectionLatency, fConnectLatency, fDNSLatency, fTCPLatency, fSSLLatency, fRequestLatency:
		return kFloatPtr
	}
	return kString
}

// lookupField returns the field a key names, as encoding/json matches a
// key to a struct field: the exact name first, else a name equal under
// Unicode case folding. key is the key's text, escapes undone.
func lookupField(key string) field {
	switch key {
	case "Type":
		return fType
	case "Version":
		return fVersion
	case "ClientId":
		return fClientID
	case "Service":
		return fService
	case "Api":
		return fAPI
	case "Timestamp":
		return fTimestamp
	case "Fqdn":
		return fFqdn
	case "Region":
		return fRegion
	case "UserAgent":
		return fUserAgent
	case "AccessKey":
		return fAccessKey
	case "SessionToken":
		return fSessionToken
	case "AttemptCount":
		return fAttemptCount
	case "Latency":
		return fLatency
	case "FinalHttpStatusCode":
		return fFinalHTTPStatusCode
	case "FinalAwsException":
		return fFinalAwsException
	case "FinalAwsExceptionMessage":
		return fFinalAwsExceptionMessage
	case "FinalSdkException":
		return fFinalSdkException
	case "FinalSdkExceptionMessage":
		return fFinalSdkExceptionMessage
	case "MaxRetriesExceeded":
		return fMaxRetriesExceeded
	case "AttemptLatency":
		return fAttemptLatency
	case "HttpStatusCode":
		return fHTTPStatusCode
	case "AwsException":
		return fAwsException
	case "AwsExceptionMessage":
		return fAwsExceptionMessage
	case "SdkException":
		return fSdkException
	case "SdkExceptionMessage":
		return fSdkExceptionMessage
	case "XAmzRequestId":
		return fXAmzRequestID
	case "XAmznRequestId":
		return fXAmznRequestID
	case "XAmzId2":
		return fXAmzID2
	case "DestinationIp":
		return fDestinationIP
	case "ConnectionReused":
		return fConnectionReused
	case "AcquireConnectionLatency":
		return fAcquireConnectionLatency
	case "ConnectLatency":
		return fConnectLatency
	case "DnsLatency":
		return fDNSLatency
	case "TcpLatency":
		return fTCPLatency
	case "SslLatency":
		return fSSLLatency
	case "RequestLatency":
		return fRequestLatency
	}
	ascii := isASCIIString(key)
	for f := fType; f < numFields; f++ {
		name := fieldNames[f]
		// Folding keeps the length of ASCII text; a key of other
		// characters ("K", the Kelvin sign, folds to "k") may differ.
		if ascii && len(name) != len(key) {
			continue
		}
		if strings.EqualFold(name, key) {
			return f
		}
	}
	return fNone
}

// validString tells whether the bytes between a string's quotes can be
// taken as they are: no escapes, valid UTF-8.
func validString(b []byte) bool {
	for i, c := range b {
		if c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && !containsByte(b[i:], '\\')
		}
	}
	return true
}

// containsByte reports whether b holds c.
func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// isASCIIString reports whether s is all ASCII.
func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
