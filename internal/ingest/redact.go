package ingest

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Redacted replaces the value of every SessionToken wherever a receiver
// shows JSON.
const Redacted = "REDACTED"

// MaskAccessKey returns what a receiver shows of an access key ID: its
// last four characters after "****", as the AWS console shows it, or
// "****" alone for a value too short to hide anything behind.
func MaskAccessKey(id string) string {
	if len(id) < 12 {
		return "****"
	}
	i := len(id)
	for n := 0; n < 4 && i > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(id[:i])
		i -= size
	}
	return "****" + id[i:]
}

// MaskSecrets returns b, JSON or not (a bad datagram, cut anywhere), with
// the value after every "SessionToken" key replaced by the JSON string
// "REDACTED" and the value after every "AccessKey" key by the JSON string
// of MaskAccessKey, at any depth. Keys match as encoding/json matches
// them: without regard to case, and after their escapes are undone. A
// value cut short is masked to the end. Where b's quotes may not pair up
// as in JSON (an unescaped quote in a value), everything is masked to the
// end from a closing quote that could also open a secret key, and from a
// secret value that may go on past where it seems to end. Everything else
// stays as it was: valid JSON stays valid JSON. It returns b itself when
// there is nothing to mask.
func MaskSecrets(b []byte) []byte {
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
		if opensSecretKey(b, end-1) {
			out = append(out, b[last:end-1]...)
			return append(out, `"`+Redacted+`"`...)
		}
		key := b[i:end]
		i = end - 1
		// A key is followed by a colon.
		j := skipSpace(b, end)
		if j >= len(b) || b[j] != ':' {
			continue
		}
		secret, access := secretKey(key)
		if !secret && !access {
			continue
		}
		vs := skipSpace(b, j+1)
		ve := valueEnd(b, vs)
		out = append(out, b[last:vs]...)
		if k := skipSpace(b, ve); k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' {
			// Not where a JSON value ends: the value may go on.
			return append(out, `"`+Redacted+`"`...)
		}
		if secret {
			out = append(out, `"`+Redacted+`"`...)
		} else {
			var id string
			if json.Unmarshal(b[vs:ve], &id) != nil {
				id = ""
			}
			out = appendJSONString(out, MaskAccessKey(id))
		}
		last = ve
		i = ve - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// maxSecretKeyLen is the longest JSON string that can name a secret key:
// "SessionToken" with each letter escaped as \uXXXX.
const maxSecretKeyLen = 2 + 6*len("SessionToken")

// opensSecretKey reports whether the quote at b[q] opens a JSON string
// naming a secret key, followed by a colon.
func opensSecretKey(b []byte, q int) bool {
	end := stringEnd(b[:min(len(b), q+maxSecretKeyLen)], q)
	if end < 0 {
		return false
	}
	if j := skipSpace(b, end); j >= len(b) || b[j] != ':' {
		return false
	}
	secret, access := secretKey(b[q:end])
	return secret || access
}

// secretKey tells whether the JSON string key names the SessionToken or
// the AccessKey, as encoding/json would match it to a field.
func secretKey(key []byte) (secret, access bool) {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 && isASCII(inner) {
		// The common case, without decoding: a folded ASCII name has
		// the length of the name.
		switch len(inner) {
		case len("SessionToken"):
			return bytes.EqualFold(inner, []byte("SessionToken")), false
		case len("AccessKey"):
			return false, bytes.EqualFold(inner, []byte("AccessKey"))
		}
		return false, false
	}
	var name string
	if json.Unmarshal(key, &name) != nil {
		return false, false
	}
	return strings.EqualFold(name, "SessionToken"), strings.EqualFold(name, "AccessKey")
}

// AppendRedacted appends the JSON value obj on one line, without the
// white space between its tokens, and with the value of each secret key
// replaced as MaskSecrets replaces it, in one pass over obj. obj should be
// valid JSON, as an Event's Raw is; then so is what AppendRedacted
// appends. Of anything else it appends something that is not JSON either,
// with the secrets masked all the same.
func AppendRedacted(dst, obj []byte) []byte {
	for i := 0; i < len(obj); {
		c := obj[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case '"':
		default:
			dst = append(dst, c)
			i++
			continue
		}
		end := stringEnd(obj, i)
		if end < 0 {
			return append(dst, obj[i:]...) // a string cut short: no key
		}
		key := obj[i:end]
		dst = append(dst, key...)
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			continue
		}
		secret, access := secretKey(key)
		if !secret && !access {
			continue
		}
		dst = append(dst, ':')
		vs := skipSpace(obj, i+1)
		ve := valueEnd(obj, vs)
		if secret {
			dst = append(dst, `"`+Redacted+`"`...)
		} else {
			var id string
			if json.Unmarshal(obj[vs:ve], &id) != nil {
				id = ""
			}
			dst = appendJSONString(dst, MaskAccessKey(id))
		}
		i = ve
	}
	return dst
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, and each byte of s that is not UTF-8 as
// U+FFFD, as encoding/json writes it.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// isASCII reports whether b is all ASCII.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
