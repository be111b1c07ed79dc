package report

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// appendMetric appends m as one compact JSON object, with the field names,
// order and escaping that encoding/json gives the original package's metric
// struct (see fields; the code is generated from them in encode_gen.go). It
// uses no reflection and, given a large enough dst, no allocation.
func appendMetric(dst []byte, m *Metric) []byte {
	if m.Kind == KindAPICall {
		return appendCall(dst, m)
	}
	return appendAttempt(dst, m)
}

// encodeMetric appends m, whose strings are already cut to their limits (as
// those of a record are), to dst and guarantees that what it appends is at
// most maxDatagramSize bytes: if the escaped strings make it too large,
// they are cut again to their limits in escaped bytes; if even that is too
// large, the session token (the one field that is never cut, since a
// partial token is useless) is left out.
func encodeMetric(dst []byte, m *Metric) []byte {
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
