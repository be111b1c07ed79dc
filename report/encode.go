package report

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendMetric appends m as one compact JSON object, with the field names,
// order and escaping that encoding/json gives the original package's metric
// struct. It uses no reflection and, given a large enough dst, no
// allocation.
func appendMetric(dst []byte, m *Metric) []byte {
	dst = append(dst, `{"ClientId":`...)
	dst = appendString(dst, m.ClientID)
	dst = append(dst, `,"Api":`...)
	dst = appendString(dst, m.API)
	dst = append(dst, `,"Service":`...)
	dst = appendString(dst, m.Service)
	dst = append(dst, `,"Timestamp":`...)
	dst = strconv.AppendInt(dst, m.Timestamp, 10)
	dst = append(dst, `,"Type":"`...)
	dst = append(dst, m.Kind.String()...)
	dst = append(dst, `","Version":1`...)

	if m.Kind == KindAPICall {
		dst = append(dst, `,"AttemptCount":`...)
		dst = strconv.AppendInt(dst, int64(m.AttemptCount), 10)
		dst = append(dst, `,"Latency":`...)
		dst = strconv.AppendInt(dst, m.Latency, 10)
	}
	dst = appendOptString(dst, `,"Fqdn":`, m.Fqdn)
	dst = appendOptString(dst, `,"UserAgent":`, m.UserAgent)
	if m.Kind == KindAPICallAttempt {
		dst = append(dst, `,"AttemptLatency":`...)
		dst = strconv.AppendInt(dst, m.AttemptLatency, 10)
	}
	dst = appendOptString(dst, `,"SessionToken":`, m.SessionToken)
	dst = appendOptString(dst, `,"Region":`, m.Region)
	dst = appendOptString(dst, `,"AccessKey":`, m.AccessKey)

	if m.Kind == KindAPICallAttempt {
		dst = appendOptInt(dst, `,"HttpStatusCode":`, m.HTTPStatusCode)
		dst = appendOptString(dst, `,"XAmzId2":`, m.XAmzID2)
		dst = appendOptString(dst, `,"XAmznRequestId":`, m.XAmznRequestID)
		dst = appendOptString(dst, `,"XAmzRequestId":`, m.XAmzRequestID)
		dst = appendOptString(dst, `,"AwsException":`, m.AWSException)
		dst = appendOptString(dst, `,"AwsExceptionMessage":`, m.AWSExceptionMessage)
		dst = appendOptString(dst, `,"SdkException":`, m.SDKException)
		dst = appendOptString(dst, `,"SdkExceptionMessage":`, m.SDKExceptionMessage)
		dst = appendTiming(dst, m)
	} else {
		dst = appendOptInt(dst, `,"FinalHttpStatusCode":`, m.HTTPStatusCode)
		dst = appendOptString(dst, `,"FinalAwsException":`, m.AWSException)
		dst = appendOptString(dst, `,"FinalAwsExceptionMessage":`, m.AWSExceptionMessage)
		dst = appendOptString(dst, `,"FinalSdkException":`, m.SDKException)
		dst = appendOptString(dst, `,"FinalSdkExceptionMessage":`, m.SDKExceptionMessage)
		dst = append(dst, `,"MaxRetriesExceeded":`...)
		if m.MaxRetriesExceeded {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	}
	return append(dst, '}')
}

// appendTiming appends the HTTP timing fields that m has.
func appendTiming(dst []byte, m *Metric) []byte {
	if m.DestinationIP.IsValid() {
		// An IP address needs no escaping.
		dst = append(dst, `,"DestinationIp":"`...)
		dst = m.DestinationIP.AppendTo(dst)
		dst = append(dst, '"')
	}
	if m.Timed&FieldConnectionReused != 0 {
		dst = append(dst, `,"ConnectionReused":`...)
		if m.ConnectionReused {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	}
	dst = appendTimed(dst, m, FieldAcquireConnectionLatency, `,"AcquireConnectionLatency":`, m.AcquireConnectionLatency)
	dst = appendTimed(dst, m, FieldConnectLatency, `,"ConnectLatency":`, m.ConnectLatency)
	dst = appendTimed(dst, m, FieldRequestLatency, `,"RequestLatency":`, m.RequestLatency)
	dst = appendTimed(dst, m, FieldDNSLatency, `,"DnsLatency":`, m.DNSLatency)
	dst = appendTimed(dst, m, FieldTCPLatency, `,"TcpLatency":`, m.TCPLatency)
	return appendTimed(dst, m, FieldSSLLatency, `,"SslLatency":`, m.SSLLatency)
}

func appendTimed(dst []byte, m *Metric, f TimingField, key string, v int64) []byte {
	if m.Timed&f == 0 {
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
func encodeMetric(dst []byte, m *Metric) []byte {
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
	m.SessionToken = ""
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
