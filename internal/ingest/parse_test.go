package ingest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/ingest/ingesttest"
)

const (
	callJSON    = ingesttest.CallJSON
	attemptJSON = ingesttest.AttemptJSON
)

// parseCases are the datagrams every receiver is tested with
// (ingesttest.Datagrams), and those about the parser's nesting bound.
func parseCases() []ingesttest.Datagram {
	return append(ingesttest.Datagrams(),
		ingesttest.Datagram{Name: "nested as deep as encoding/json allows", Data: `{"Type":"ApiCall","X":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + "}", Calls: 1},
		ingesttest.Datagram{Name: "nested too deep", Data: `{"Type":"ApiCall","X":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + "}", Bad: string(BadNotJSON)},
	)
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases() {
		t.Run(tt.Name, func(t *testing.T) {
			events, bad := Parse(nil, []byte(tt.Data))
			assert.Equal(t, BadReason(tt.Bad), bad)
			calls, attempts := 0, 0
			for _, e := range events {
				if e.Type == TypeAPICall {
					calls++
				} else {
					attempts++
				}
			}
			assert.Equal(t, tt.Calls, calls, "calls")
			assert.Equal(t, tt.Attempts, attempts, "attempts")
			assertAgrees(t, []byte(tt.Data))
		})
	}
}

// TestParseFields checks every field of an attempt and a call.
func TestParseFields(t *testing.T) {
	events, bad := Parse(nil, []byte(attemptJSON+callJSON))
	require.Empty(t, bad)
	require.Len(t, events, 2)
	f := func(v float64) *float64 { return &v }
	zero := 0
	assert.Equal(t, Event{
		Type: TypeAPICallAttempt, Version: 1, ClientID: "app", Service: "DynamoDB", API: "GetItem", Timestamp: 1700000000000,
		Fqdn: "dynamodb.us-west-2.amazonaws.com", AttemptLatency: 11, HTTPStatusCode: 200, XAmzRequestID: "R1", DestinationIP: "10.0.0.1",
		ConnectionReused: &zero, DNSLatency: f(1.5), TCPLatency: f(2), SSLLatency: f(3), AcquireConnectionLatency: f(7), ConnectLatency: f(6), RequestLatency: f(4),
		Raw: []byte(attemptJSON),
	}, events[0])
	assert.Equal(t, Event{
		Type: TypeAPICall, Version: 1, ClientID: "app", Service: "DynamoDB", API: "GetItem", Timestamp: 1700000000000,
		AttemptCount: 1, Latency: 12, FinalHTTPStatusCode: 200, Region: "us-west-2", UserAgent: "aws-sdk-go/1.55.8 (go1.24; linux; amd64)",
		Raw: []byte(callJSON),
	}, events[1])
}

// assertAgrees checks that Parse reads b as encoding/json does.
func assertAgrees(t *testing.T, b []byte) {
	t.Helper()
	want, wantBad := referenceParse(b)
	var p Parser
	for _, parse := range []func([]Event, []byte) ([]Event, BadReason){Parse, p.Parse, p.Parse} {
		got, gotBad := parse(nil, b)
		require.Equal(t, wantBad, gotBad, "bad reason of %q", b)
		require.Equal(t, len(want), len(got), "events of %q", b)
		for i := range want {
			require.Equal(t, want[i], got[i], "event %d of %q", i, b)
		}
	}
}

// TestParseAgreesWithEncodingJSON parses every monitoring event of the
// conformance suite (as the suite writes it, and with its placeholders
// filled in), every seed of the fuzz target and every input of its corpus,
// and checks that Parse agrees with encoding/json on each.
func TestParseAgreesWithEncodingJSON(t *testing.T) {
	n := 0
	for _, d := range conformanceDatagrams(t) {
		assertAgrees(t, d)
		n++
	}
	for _, s := range fuzzSeeds() {
		assertAgrees(t, []byte(s))
		n++
	}
	corpus, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	require.NoError(t, err)
	for _, path := range corpus {
		assertAgrees(t, readCorpusFile(t, path))
		n++
	}
	t.Logf("%d datagrams, %d of them from the fuzz corpus", n, len(corpus))
}

// conformanceDatagrams returns the monitoring events of the conformance
// suite as datagrams, one per event and one per call, twice: as the suite
// writes them ("ANY_INT" where a number goes) and with numbers and strings
// in place of the placeholders.
func conformanceDatagrams(t *testing.T) [][]byte {
	t.Helper()
	path := os.Getenv("CSM_CONFORMANCE_CASES")
	if path == "skip" {
		t.Log("CSM_CONFORMANCE_CASES=skip: no datagrams of the conformance suite")
		return nil
	}
	if path == "" {
		// The repository's copy of the suite (internal/report/conformance).
		path = filepath.Join("..", "report", "conformance", "testdata", "csm-cases.json")
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && os.Getenv("CI") == "" {
		t.Logf("no conformance suite at %s (set CSM_CONFORMANCE_CASES)", path)
		return nil
	}
	require.NoError(t, err)
	var suite struct {
		Cases []struct {
			Events []map[string]any `json:"expectedMonitoringEvents"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &suite))
	var out [][]byte
	for _, c := range suite.Cases {
		for _, filled := range []bool{false, true} {
			var all []byte
			for _, e := range c.Events {
				if filled {
					e = fillPlaceholders(e)
				}
				b, err := json.Marshal(e)
				require.NoError(t, err)
				out = append(out, b)
				all = append(append(all, b...), '\n')
			}
			if len(all) > 0 {
				out = append(out, all)
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

// fillPlaceholders returns e with the suite's placeholders replaced by
// values of their type.
func fillPlaceholders(e map[string]any) map[string]any {
	f := make(map[string]any, len(e))
	for k, v := range e {
		switch v {
		case "ANY_INT":
			v = 42
		case "ANY_STR":
			v = "any"
		}
		f[k] = v
	}
	return f
}

// readCorpusFile reads a []byte input of a fuzz corpus file.
func readCorpusFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2, path)
	require.Equal(t, "go test fuzz v1", lines[0], path)
	lit := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
	s, err := strconv.Unquote(lit)
	require.NoError(t, err, path)
	return []byte(s)
}

// fuzzSeeds are the fuzz target's seeds.
func fuzzSeeds() []string {
	return []string{
		callJSON, attemptJSON + "\n" + callJSON + "\n", "[" + callJSON + "," + attemptJSON + "]",
		"", " ", "[]", "null", "42", `{"Type":"X"}`, callJSON[:30], "1x", "1{}", `"a"[]`, "-", "0.", "1e", "[1,]",
		`{"Type":"ApiCallAttempt","SessionToken":"tok","sessiontoken":"tok2","Nested":{"SessionToken":"x"}}`,
		`[{"Type":"ApiCall"},1,"a",{"Type":"ApiCall","Latency":-5}]`,
		`{"Type":"ApiCall","Service":"\ud800\u00e9\"","Api":"caf` + "\xe9" + `"}`,
		`{"Type":"ApiCall","AttemptCount":-0,"Latency":-0.0e-0,"Version":1E2}`,
		`{"Type":"ApiCallAttempt","ConnectionReused":1,"ConnectionReused":null,"DnsLatency":null}`,
		`{"ſervice":"S3","TYPE":"ApiCall","ACCESSKEY":"AKIAIOSFODNN7EXAMPLE"}`,
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		assertAgrees(t, data)
		events, _ := Parse(nil, data)
		for i := range events {
			line := AppendRedacted(nil, events[i].Raw)
			require.True(t, json.Valid(line), "%q", line)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, events[i].Raw))
			require.Equal(t, string(MaskSecrets(compact.Bytes())), string(line), "AppendRedacted is Compact, then MaskSecrets")
			var w wireEvent
			require.NoError(t, json.Unmarshal(line, &w), "%s", line)
			if w.SessionToken != "" {
				assert.Equal(t, Redacted, w.SessionToken)
			}
			if w.AccessKey != "" {
				assert.True(t, strings.HasPrefix(w.AccessKey, "****"), w.AccessKey)
			}
		}
	})
}
