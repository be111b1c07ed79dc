package tail

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
	"github.com/opencsm/csm-go/internal/ingest/ingesttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDatagrams sends each datagram of every shape (ingesttest.Datagrams),
// and two at csmtail's datagram limit, through a real UDP socket to a
// receiver and checks what the monitor counted.
func TestDatagrams(t *testing.T) {
	type datagram struct {
		ingesttest.Datagram
		max int // the receiver's largest datagram; 0 for maxDatagram
	}
	var tests []datagram
	for _, d := range ingesttest.Datagrams() {
		tests = append(tests, datagram{Datagram: d})
	}
	tests = append(tests,
		datagram{Datagram: ingesttest.Datagram{Name: "exactly the limit", Data: ingesttest.Sized(1024), Calls: 1}, max: 1024},
		datagram{Datagram: ingesttest.Datagram{Name: "over the limit", Data: ingesttest.Sized(2000), Bad: string(badTooLarge)}, max: 1024},
	)
	for _, tt := range tests {
		tt := tt
		t.Run(tt.Name, func(t *testing.T) {
			t.Parallel()
			limit := tt.max
			if limit == 0 {
				limit = maxDatagram
			}
			h := newHarness(t, options{limit: limit})
			h.send(t, []byte(tt.Data))
			h.wait(t, 1)
			h.stop(t)

			s := h.stats.snapshot()
			assert.Equal(t, uint64(1), s.datagrams, "datagrams")
			assert.Equal(t, uint64(tt.Calls), s.calls, "calls")
			assert.Equal(t, uint64(tt.Attempts), s.attempts, "attempts")
			want := map[badReason]uint64{}
			if tt.Bad != "" {
				want[badReason(tt.Bad)] = 1
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
