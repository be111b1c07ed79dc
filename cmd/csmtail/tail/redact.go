package tail

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// redacted replaces the value of SessionToken wherever csmtail shows
// JSON.
const redacted = "REDACTED"

// maskAccessKey returns what csmtail shows of an access key ID: its last
// four characters after "****", as the AWS console shows it, or "****"
// alone for a value too short to hide anything behind.
func maskAccessKey(id string) string {
	if len(id) < 12 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

// maskSecrets returns b, JSON or not (a bad datagram, cut anywhere), with
// the value after every "SessionToken" key replaced by "REDACTED" and the
// value after every "AccessKey" key masked by maskAccessKey, at any depth.
// Keys match as encoding/json matches them: without regard to case, and
// after their escapes are undone. A value cut short is masked to the end.
// Everything else stays as it was.
func maskSecrets(b []byte) []byte {
	var out []byte
	last := 0 // b[:last] is in out
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := stringEnd(b, i)
		if end < 0 {
			break // a string cut short: not a key
		}
		key := b[i:end]
		i = end - 1
		// A key is followed by a colon.
		j := skipSpace(b, end)
		if j >= len(b) || b[j] != ':' {
			continue
		}
		var name string
		if err := json.Unmarshal(key, &name); err != nil {
			continue
		}
		secret := strings.EqualFold(name, "SessionToken")
		access := strings.EqualFold(name, "AccessKey")
		if !secret && !access {
			continue
		}
		vs := skipSpace(b, j+1)
		ve := valueEnd(b, vs)
		out = append(out, b[last:vs]...)
		switch {
		case secret:
			out = append(out, `"`+redacted+`"`...)
		default:
			var id string
			if json.Unmarshal(b[vs:ve], &id) != nil {
				id = ""
			}
			out = strconv.AppendQuote(out, maskAccessKey(id))
		}
		last = ve
		i = ve - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// stringEnd returns the index after the closing quote of the JSON string
// that starts at b[i], or -1 if it does not end in b.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipSpace returns the index of the first byte from i that is not JSON
// white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index after the value that starts at b[i]: a string
// to its closing quote, an object or array to its closing bracket, anything
// else up to the next comma, closing bracket or white space; len(b) for a
// value cut short.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		if e := stringEnd(b, i); e >= 0 {
			return e
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return len(b)
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(b)
}

// badSampleLen is how many bytes of a bad datagram --show-bad shows.
const badSampleLen = 200

// badSample returns what --show-bad shows of a bad datagram: its first
// badSampleLen bytes, secrets masked first (so that a cut cannot reveal a
// part of one), quoted so that no control character reaches a terminal.
func badSample(data []byte, reason badReason) string {
	masked := maskSecrets(data)
	sample := masked
	if len(sample) > badSampleLen {
		sample = sample[:badSampleLen]
	}
	size := fmt.Sprintf("%d bytes", len(data))
	if reason == badTooLarge {
		size = fmt.Sprintf("more than %d bytes", len(data)-1) // the buffer's extra byte
	}
	s := size + ": " + strconv.Quote(string(sample))
	if len(masked) > badSampleLen {
		s += "..."
	}
	return s
}

// printable replaces the control characters of s, which could drive a
// terminal, with '?', and returns "-" for an empty s.
func printable(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
