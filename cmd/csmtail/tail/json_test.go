package tail

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONLinesAreJSON sends csmtail --json events whose access key and
// session token hold control characters, escapes, characters of several
// bytes cut by the mask, and bytes that are not UTF-8, and parses every
// line it writes.
func TestJSONLinesAreJSON(t *testing.T) {
	keys := []string{
		`AKIAIOSFODNN7EXAMPLE`,
		`AKIAIOSFODNN7EX\u0001\u0002\u001f\u0000`,
		"AKIAIOSFODNN7EX\\n\\t\\r\\b",
		`AKIAIOSFODNN7EXA\"\\\/`,
		`AKIAIOSFODNN7EXAMPL€`,
		`AKIAIOSFODNN7EXAMP\ud83d\ude00`,
		"AKIAIOSFODNN7EXAM\xe2\x82",
		"AKIAIOSFODNN7EXAMPLE\xff",
		`AKIAIOSFODNN7\ud800EXAMPLE\udc00`,
		"AKIAIOSFODNN7EXAMPLE\x7f",
	}
	var datagrams [][]byte
	for _, key := range keys {
		datagrams = append(datagrams, []byte(`{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","AccessKey":"`+key+`","SessionToken":"`+key+`"}`))
	}
	f := linesJSON
	h := newHarness(t, options{lines: &f})
	h.send(t, datagrams...)
	h.wait(t, uint64(len(datagrams)))
	h.stop(t)
	require.Zero(t, h.stats.snapshot().badTotal, "every datagram is good")
	out := lines(h.out.String())
	require.Len(t, out, len(keys))
	for i, line := range out {
		var e struct{ AccessKey, SessionToken string }
		require.NoError(t, json.Unmarshal([]byte(line), &e), "the line of %q: %s", keys[i], line)
		assert.Equal(t, "REDACTED", e.SessionToken)
		assert.True(t, strings.HasPrefix(e.AccessKey, "****"), e.AccessKey)
		assertNoSecret(t, "line", line)
	}
}
