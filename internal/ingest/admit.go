package ingest

import (
	"strings"
	"unicode/utf8"
)

// MaxNameLen is the length in bytes to which Clip cuts names (Service,
// Api, exceptions, client IDs), as the CSM reporter cuts them.
const MaxNameLen = 128

// Clip cuts s to MaxNameLen bytes, between characters.
func Clip(s string) string {
	return clipTo(s, MaxNameLen)
}

// clipTo cuts s to n bytes, between characters.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// SDKName returns the product token of a User-Agent, "aws-sdk-go" from
// "aws-sdk-go/1.55.8 (go1.24; linux; amd64)", cut to 64 bytes.
func SDKName(userAgent string) string {
	token := SDKToken(userAgent)
	if i := strings.IndexByte(token, '/'); i >= 0 {
		token = token[:i]
	}
	return token
}

// SDKToken returns the product/version token of a User-Agent,
// "aws-sdk-go/1.55.8" from "aws-sdk-go/1.55.8 (go1.24; linux; amd64)",
// clipped to 64 bytes: the SDK and its version, for a view that shows both.
func SDKToken(userAgent string) string {
	ua := strings.TrimSpace(userAgent)
	if i := strings.IndexByte(ua, ' '); i >= 0 {
		ua = ua[:i]
	}
	return clipTo(ua, 64)
}

// NameSet admits up to a limit of distinct names; a receiver counts the
// names past it under one name of its own ("(other)", "_OTHER"), and
// counts that it did. It is for one goroutine at a time.
type NameSet struct {
	limit int
	seen  map[string]struct{}
}

// NewNameSet returns an empty set that admits up to limit names.
func NewNameSet(limit int) *NameSet {
	return &NameSet{limit: limit, seen: make(map[string]struct{})}
}

// Admit reports whether name is in the set, adding it if there is room.
func (s *NameSet) Admit(name string) bool {
	if _, ok := s.seen[name]; ok {
		return true
	}
	if len(s.seen) >= s.limit {
		return false
	}
	s.seen[name] = struct{}{}
	return true
}

// Len returns how many names the set holds.
func (s *NameSet) Len() int { return len(s.seen) }
