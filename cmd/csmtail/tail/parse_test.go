package tail

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sized returns an ApiCall datagram of exactly n bytes, padded with an
// unknown field.
func sized(n int) []byte {
	const head = `{"Type":"ApiCall","Service":"S3","Api":"GetObject","Pad":"`
	const tail = `"}`
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}

// TestDatagrams sends each datagram through a real UDP socket to a
// receiver and checks what the monitor counted.
func TestDatagrams(t *testing.T) {
	tests := []struct {
		name     string
		datagram []byte
		max      int // the receiver's largest datagram; 0 for maxDatagram
		calls    uint64
		attempts uint64
		bad      badReason
	}{
		{name: "object", datagram: []byte(callJSON), calls: 1},
		{name: "trailing newline", datagram: []byte(callJSON + "\n"), calls: 1},
		{name: "white space around", datagram: []byte(" \r\n\t" + callJSON + " \r\n"), calls: 1},
		{name: "array of objects", datagram: []byte("[" + attemptJSON + ", " + callJSON + "]"), calls: 1, attempts: 1},
		{name: "newline-separated objects", datagram: []byte(attemptJSON + "\n" + attemptJSON + "\n" + callJSON + "\n"), calls: 1, attempts: 2},
		{name: "objects back to back", datagram: []byte(attemptJSON + callJSON), calls: 1, attempts: 1},
		{name: "pretty-printed", datagram: []byte("{\n  \"Type\": \"ApiCall\",\n  \"Service\": \"S3\"\n}\n"), calls: 1},
		{name: "unknown fields", datagram: []byte(`{"Type":"ApiCall","Extra":{"a":[1,2,{"b":null}]},"More":null,"Latency":null}`), calls: 1},
		{name: "fractional latency", datagram: []byte(`{"Type":"ApiCall","Latency":12.5}`), calls: 1},
		{name: "64 KiB datagram", datagram: sized(65507), calls: 1}, // the largest UDP payload over IPv4
		{name: "exactly the limit", datagram: sized(1024), max: 1024, calls: 1},

		{name: "empty", datagram: []byte{}, bad: badEmpty},
		{name: "white space", datagram: []byte(" \n\t\r\n"), bad: badEmpty},
		{name: "empty array", datagram: []byte("[]"), bad: badEmpty},
		{name: "over the limit", datagram: sized(2000), max: 1024, bad: badTooLarge},
		{name: "truncated JSON", datagram: []byte(callJSON[:40]), bad: badNotJSON},
		{name: "not JSON", datagram: []byte("hello, agent"), bad: badNotJSON},
		{name: "binary", datagram: []byte{0, 0xff, 0xfe, 1, 2}, bad: badNotJSON},
		{name: "garbage after an object", datagram: []byte(callJSON + " }"), calls: 1, bad: badNotJSON},
		{name: "string latency", datagram: []byte(`{"Type":"ApiCall","Latency":"12"}`), bad: badWrongType},
		{name: "numeric service", datagram: []byte(`{"Type":"ApiCall","Service":42}`), bad: badWrongType},
		{name: "numeric type", datagram: []byte(`{"Type":1}`), bad: badWrongType},
		{name: "fractional attempt count", datagram: []byte(`{"Type":"ApiCall","AttemptCount":1.5}`), bad: badWrongType},
		{name: "object session token", datagram: []byte(`{"Type":"ApiCallAttempt","SessionToken":{"a":1}}`), bad: badWrongType},
		{name: "number", datagram: []byte("42"), bad: badWrongType},
		{name: "string", datagram: []byte(`"ApiCall"`), bad: badWrongType},
		{name: "null", datagram: []byte("null"), bad: badWrongType},
		{name: "array with a number", datagram: []byte("[" + callJSON + ",1]"), calls: 1, bad: badWrongType},
		{name: "no type", datagram: []byte(`{"Service":"S3","Api":"GetObject"}`), bad: badUnknownType},
		{name: "unknown type", datagram: []byte(`{"Type":"ApiCallSummary"}`), bad: badUnknownType},
		{name: "type in lower case", datagram: []byte(`{"Type":"apicall"}`), bad: badUnknownType},
		{name: "a bad line among good ones", datagram: []byte(callJSON + "\n{\"Type\":\"Other\"}\n" + attemptJSON), calls: 1, attempts: 1, bad: badUnknownType},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			limit := tt.max
			if limit == 0 {
				limit = maxDatagram
			}
			h := newHarness(t, options{limit: limit})
			h.send(t, tt.datagram)
			h.wait(t, 1)
			h.stop(t)

			s := h.stats.snapshot()
			assert.Equal(t, uint64(1), s.datagrams, "datagrams")
			assert.Equal(t, tt.calls, s.calls, "calls")
			assert.Equal(t, tt.attempts, s.attempts, "attempts")
			want := map[badReason]uint64{}
			if tt.bad != "" {
				want[tt.bad] = 1
			}
			assert.Equal(t, want, s.bad, "bad")
		})
	}
}

func FuzzParseDatagram(f *testing.F) {
	for _, seed := range []string{
		callJSON, attemptJSON + "\n" + callJSON + "\n", "[" + callJSON + "," + attemptJSON + "]",
		"", " ", "[]", "null", "42", `{"Type":"X"}`, callJSON[:30],
		`{"Type":"ApiCallAttempt","SessionToken":"tok","sessiontoken":"tok2","Nested":{"SessionToken":"x"}}`,
		`[{"Type":"ApiCall"},1,"a",{"Type":"ApiCall","Latency":-5}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, bad := ingest.Parse(nil, data)
		if bad != "" {
			assert.Contains(t, badReasons, bad)
		} else {
			assert.NotEmpty(t, events, "a good datagram has events")
		}
		for i := range events {
			e := &events[i]
			assert.Contains(t, []string{typeAPICall, typeAPICallAttempt}, e.Type)
			line := appendJSONLine(nil, e.Raw)
			require.True(t, bytes.HasSuffix(line, []byte("\n")))
			require.NotContains(t, string(line[:len(line)-1]), "\n")
			var out struct{ SessionToken string }
			require.NoError(t, json.Unmarshal(line, &out), "%s", line)
			if out.SessionToken != "" {
				assert.Equal(t, "REDACTED", out.SessionToken)
			}
		}

		// The whole pipeline takes it, and every output mode shows it
		// without a secret.
		lf := linesJSON
		h := startHarness(t, nil, options{maxSeries: 3, lines: &lf, showBad: true})
		h.feed(time.Unix(1700000000, 0), data)
		h.stop(t)
		c := h.stats.snapshot()
		assert.Equal(t, uint64(1), c.datagrams)
		assert.Equal(t, uint64(len(events)), c.calls+c.attempts)
		assert.Equal(t, len(events), strings.Count(h.out.String(), "\n"))
		s := h.agg.snapshot(time.Unix(1700000000, 0))
		v := newLiveView([]dimension{dimService, dimAPI}, "fuzz", time.Unix(1700000000, 0))
		_ = v.frame(c, s, time.Unix(1700000001, 0), 80, 10)
		_ = v.summary(c, s, time.Unix(1700000001, 0), 80)
		_, err := h.reg.Gather()
		assert.NoError(t, err)
	})
}
