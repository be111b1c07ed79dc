package csmreceiver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// casesEnv names the conformance suite's file, as for the csm and csmv2
// conformance tests (internal/report/conformance); "skip" skips the test.
const casesEnv = "CSM_CONFORMANCE_CASES"

// defaultCases is the repository's copy of the suite, which the csm and
// csmv2 conformance tests run too (internal/report/conformance).
var defaultCases = filepath.Join("..", "..", "internal", "report", "conformance", "testdata", "csm-cases.json")

// TestConformanceShapes sends every event the conformance suite expects,
// with its "ANY_" placeholders and optional fields filled in, as the
// datagram a sender writes, and checks the metrics and attributes each
// becomes, and that neither the access key nor the session token of a case
// is an attribute.
func TestConformanceShapes(t *testing.T) {
	path := os.Getenv(casesEnv)
	if path == "skip" {
		t.Skipf("%s=skip: the conformance suite is not run", casesEnv)
	}
	if path == "" {
		path = defaultCases
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the conformance suite: set %s to its path, or to skip", casesEnv)
	var suite struct {
		Defaults struct {
			OptionalEventFields map[string]map[string]any `json:"optionalEventFields"`
		} `json:"defaults"`
		Cases []struct {
			Description string           `json:"description"`
			Expected    []map[string]any `json:"expectedMonitoringEvents"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &suite))
	require.NotEmpty(t, suite.Cases)

	events := 0
	for _, c := range suite.Cases {
		if len(c.Expected) == 0 {
			continue
		}
		t.Run(c.Description, func(t *testing.T) {
			h := newHarness(t, nil)
			var wantCalls, wantAttempts, wantErrors, wantExhausted int64
			wantErrorTypes := map[string]int64{}
			var secrets []string
			for _, e := range c.Expected {
				obj := fill(e, suite.Defaults.OptionalEventFields[e["Type"].(string)])
				for _, k := range []string{"AccessKey", "SessionToken"} {
					if s, _ := obj[k].(string); s != "" {
						secrets = append(secrets, s)
					}
				}
				d, err := json.Marshal(obj)
				require.NoError(t, err)
				h.send(t, d)
				events++
				switch e["Type"] {
				case "ApiCall":
					wantCalls++
					if n, _ := obj["MaxRetriesExceeded"].(float64); n != 0 {
						wantExhausted++
					}
				case "ApiCallAttempt":
					wantAttempts++
					exc, _ := obj["AwsException"].(string)
					if exc == "" {
						exc, _ = obj["SdkException"].(string)
					}
					code, _ := obj["HttpStatusCode"].(float64)
					if exc == "" && code >= 400 {
						exc = strconv.Itoa(int(code))
					}
					if exc != "" {
						wantErrors++
						wantErrorTypes[exc]++
					}
				}
			}
			md := h.flush(t)
			op := map[string]any{"rpc.system": "aws-api", "rpc.service": "CSM Test", "rpc.method": "TestOperation", "cloud.region": "us-west-2", "user_agent.name": "aws-sdk-conformance"}
			assert.Equal(t, wantCalls, total(md, "client.call.duration", op), "calls")
			assert.Equal(t, wantAttempts, total(md, "client.call.attempts", op), "attempts")
			assert.Equal(t, wantAttempts, total(md, "client.call.attempt_duration", op), "attempt durations")
			assert.Equal(t, wantErrors, total(md, "client.call.errors", op), "errors")
			for typ, n := range wantErrorTypes {
				assert.Equal(t, n, total(md, "client.call.errors", map[string]any{"error.type": typ}), "errors of type %s", typ)
			}
			assert.Equal(t, wantExhausted, total(md, "csm.client.call.retries_exhausted", op), "retries exhausted")
			// The optional fields were filled in: every phase is there.
			for _, name := range []string{"client.http.connections.dns_lookup_duration", "client.http.connections.acquire_duration", "client.http.connections.tls_handshake_duration", "client.http.time_to_first_byte", "csm.client.http.connections.tcp_connect_duration", "csm.client.http.connections.connect_duration", "csm.client.http.connections.reused"} {
				assert.Equal(t, wantAttempts, total(md, name, op), name)
			}
			for _, v := range allAttributeValues(md) {
				for _, s := range secrets {
					assert.NotContains(t, v, s, "a secret is an attribute")
				}
			}
		})
	}
	t.Logf("%d events of %d cases", events, len(suite.Cases))
}

// fill returns the expected event e as a sender would write it: "ANY_INT"
// and "ANY_STR" replaced by values, the optional fields added.
func fill(e, optional map[string]any) map[string]any {
	obj := map[string]any{}
	for k, v := range optional {
		obj[k] = v
	}
	for k, v := range e {
		obj[k] = v
	}
	for k, v := range obj {
		switch v {
		case "ANY_INT":
			obj[k] = 7
			if k == "ConnectionReused" {
				obj[k] = 0
			}
		case "ANY_STR":
			obj[k] = "x"
			if k == "UserAgent" {
				obj[k] = "aws-sdk-conformance/1.0 (" + strings.ToLower(k) + ")"
			}
		}
	}
	return obj
}
