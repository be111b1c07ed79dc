package tail

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/opencsm/csm-go/internal/ingest"
)

// badSampleLen is how many bytes of a bad datagram --show-bad shows.
const badSampleLen = 200

// badSample returns what --show-bad shows of a bad datagram: its first
// badSampleLen bytes, secrets masked first (so that a cut cannot reveal a
// part of one), quoted so that no control character reaches a terminal.
func badSample(data []byte, reason badReason) string {
	masked := ingest.MaskSecrets(data)
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
