package csm

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendMetric appends m as one compact JSON object, with the field names,
// order and escaping that encoding/json gives the original package's metric
// struct. It uses no reflection and, given a large enough dst, no
// allocation.
func appendMetric(dst []byte, m *metric) []byte {
	dst = append(dst, `{"ClientId":`...)
	dst = appendString(dst, m.clientID)
	dst = append(dst, `,"Api":`...)
	dst = appendString(dst, m.api)
	dst = append(dst, `,"Service":`...)
	dst = appendString(dst, m.service)
	dst = append(dst, `,"Timestamp":`...)
	dst = strconv.AppendInt(dst, m.timestamp, 10)
	dst = append(dst, `,"Type":"`...)
	dst = append(dst, m.kind.String()...)
	dst = append(dst, `","Version":1`...)

	if m.kind == kindAPICall {
		dst = append(dst, `,"AttemptCount":`...)
		dst = strconv.AppendInt(dst, int64(m.attemptCount), 10)
		dst = append(dst, `,"Latency":`...)
		dst = strconv.AppendInt(dst, m.latency, 10)
	}
	dst = appendOptString(dst, `,"Fqdn":`, m.fqdn)
	dst = appendOptString(dst, `,"UserAgent":`, m.userAgent)
	if m.kind == kindAPICallAttempt {
		dst = append(dst, `,"AttemptLatency":`...)
		dst = strconv.AppendInt(dst, m.attemptLatency, 10)
	}
	dst = appendOptString(dst, `,"SessionToken":`, m.sessionToken)
	dst = appendOptString(dst, `,"Region":`, m.region)
	dst = appendOptString(dst, `,"AccessKey":`, m.accessKey)

	if m.kind == kindAPICallAttempt {
		dst = appendOptInt(dst, `,"HttpStatusCode":`, m.httpStatusCode)
		dst = appendOptString(dst, `,"XAmzId2":`, m.xAmzID2)
		dst = appendOptString(dst, `,"XAmznRequestId":`, m.xAmznRequestID)
		dst = appendOptString(dst, `,"XAmzRequestId":`, m.xAmzRequestID)
		dst = appendOptString(dst, `,"AwsException":`, m.awsException)
		dst = appendOptString(dst, `,"AwsExceptionMessage":`, m.awsExceptionMessage)
		dst = appendOptString(dst, `,"SdkException":`, m.sdkException)
		dst = appendOptString(dst, `,"SdkExceptionMessage":`, m.sdkExceptionMessage)
		dst = appendTiming(dst, m)
	} else {
		dst = appendOptInt(dst, `,"FinalHttpStatusCode":`, m.httpStatusCode)
		dst = appendOptString(dst, `,"FinalAwsException":`, m.awsException)
		dst = appendOptString(dst, `,"FinalAwsExceptionMessage":`, m.awsExceptionMessage)
		dst = appendOptString(dst, `,"FinalSdkException":`, m.sdkException)
		dst = appendOptString(dst, `,"FinalSdkExceptionMessage":`, m.sdkExceptionMessage)
		dst = append(dst, `,"MaxRetriesExceeded":`...)
		if m.maxRetriesExceeded {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	}
	return append(dst, '}')
}

// appendTiming appends the HTTP timing fields that m has.
func appendTiming(dst []byte, m *metric) []byte {
	if m.destinationIP.IsValid() {
		// An IP address needs no escaping.
		dst = append(dst, `,"DestinationIp":"`...)
		dst = m.destinationIP.AppendTo(dst)
		dst = append(dst, '"')
	}
	if m.timed&fieldConnectionReused != 0 {
		dst = append(dst, `,"ConnectionReused":`...)
		if m.connectionReused {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	}
	dst = appendTimed(dst, m, fieldAcquireConnectionLatency, `,"AcquireConnectionLatency":`, m.acquireConnectionLatency)
	dst = appendTimed(dst, m, fieldConnectLatency, `,"ConnectLatency":`, m.connectLatency)
	dst = appendTimed(dst, m, fieldRequestLatency, `,"RequestLatency":`, m.requestLatency)
	dst = appendTimed(dst, m, fieldDNSLatency, `,"DnsLatency":`, m.dnsLatency)
	dst = appendTimed(dst, m, fieldTCPLatency, `,"TcpLatency":`, m.tcpLatency)
	return appendTimed(dst, m, fieldSSLLatency, `,"SslLatency":`, m.sslLatency)
}

func appendTimed(dst []byte, m *metric, f timingField, key string, v int64) []byte {
	if m.timed&f == 0 {
		return dst
	}
	dst = append(dst, key...)
	return strconv.AppendInt(dst, v, 10)
}

// encodeMetric appends m to dst and guarantees that what it appends is at
// most maxDatagramSize bytes: strings are first cut to their limits; if the
// escaped result is still too large, they are cut again to their limits in
// escaped bytes; if even that is too large, the session token (the one field
// that is never cut, since a partial token is useless) is left out.
func encodeMetric(dst []byte, m *metric) []byte {
	m.truncate()
	start := len(dst)
	dst = appendMetric(dst, m)
	if len(dst)-start <= maxDatagramSize {
		return dst
	}
	m.truncateEscaped()
	dst = appendMetric(dst[:start], m)
	if len(dst)-start <= maxDatagramSize {
		return dst
	}
	m.sessionToken = ""
	return appendMetric(dst[:start], m)
}

func appendOptString(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, key...)
	return appendString(dst, s)
}

func appendOptInt(dst []byte, key string, v int) []byte {
	if v == 0 {
		return dst
	}
	dst = append(dst, key...)
	return strconv.AppendInt(dst, int64(v), 10)
}

// appendString appends s as a JSON string, escaped exactly as encoding/json
// escapes it: HTML-sensitive characters, control characters, U+2028 and
// U+2029 are escaped, and invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip the run of bytes written as they are: most strings are
		// nothing else.
		for i < len(s) && safeASCII[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// escapedLen returns how many bytes appendString writes for the character
// that starts at s[i], and how many bytes of s that character takes.
func escapedLen(s string, i int) (escaped, size int) {
	b := s[i]
	if b < utf8.RuneSelf {
		switch {
		case safeASCII[b]:
			return 1, 1
		case b == '\\' || b == '"' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
			return 2, 1
		default:
			return 6, 1
		}
	}
	c, size := utf8.DecodeRuneInString(s[i:])
	if (c == utf8.RuneError && size == 1) || c == '\u2028' || c == '\u2029' {
		return 6, size
	}
	return size, size
}

// safeASCII tells the ASCII bytes that appendString writes as they are:
// printable ones but the quote, the backslash and the HTML-sensitive <, >
// and &. Bytes from utf8.RuneSelf up are false: they need decoding.
var safeASCII = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()
