package csm_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/conformance"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// sdkAgent receives the datagrams of tests that enable CSM through the
// environment. aws-sdk-go's own session then starts its built-in reporter
// too, and that reporter is process-wide and panics when started again with
// another address or client ID, so every such test uses this one agent and
// the empty client ID.
var sdkAgent *reporttest.Agent

func TestMain(m *testing.M) {
	conformance.RunChild(runConformanceCase)
	runSDKSettingsChild()
	var err error
	flag.Parse()
	sdkAgent, err = reporttest.Listen("127.0.0.1:0")
	if err == nil && flag.Lookup("test.bench").Value.String() == "" {
		// Fix the built-in reporter's settings before any test can.
		// Benchmarks start it towards a socket of their own.
		_, err = awscsm.Start("", sdkAgent.Addr())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	sdkAgent.Close()
	os.Exit(code)
}

const (
	testRegion       = "us-west-2"
	testAccessKey    = "AKIDTESTACCESSKEY"
	testSessionToken = "test-session-token"
)

// enableThroughEnv sets the environment so that CSM is enabled and reports
// to sdkAgent, whose earlier datagrams are forgotten.
func enableThroughEnv(t *testing.T) {
	t.Helper()
	reporttest.IsolateEnv(t)
	t.Setenv("AWS_CSM_ENABLED", "true")
	t.Setenv("AWS_CSM_PORT", sdkAgent.Port())
	sdkAgent.Sync(t)
	sdkAgent.Reset()
	t.Cleanup(csm.ResetForTest)
}

// startReporter starts the process's reporter towards a new test agent and
// stops it when the test ends.
func startReporter(t *testing.T, clientID string) (*csm.Reporter, *reporttest.Agent) {
	t.Helper()
	agent := reporttest.NewAgent(t)
	rep, err := csm.Start(clientID, agent.Addr())
	require.NoError(t, err)
	t.Cleanup(csm.ResetForTest)
	return rep, agent
}

// testConfig is the configuration of the tests' sessions: static
// credentials, a stub transport, and no sleeping between retries.
func testConfig(transport http.RoundTripper) *aws.Config {
	return &aws.Config{
		Region:      aws.String(testRegion),
		Credentials: credentials.NewStaticCredentials(testAccessKey, testSecretKey, testSessionToken),
		HTTPClient:  &http.Client{Transport: transport},
		SleepDelay:  func(time.Duration) {},
	}
}

// newInstrumentedClient returns a "CSM Test" client whose calls rep
// reports, answered by transport.
func newInstrumentedClient(t *testing.T, rep *csm.Reporter, transport http.RoundTripper, cfgs ...*aws.Config) *client.Client {
	t.Helper()
	reporttest.IsolateEnv(t)
	sess, err := session.NewSession(append([]*aws.Config{testConfig(transport)}, cfgs...)...)
	require.NoError(t, err)
	rep.InjectHandlers(&sess.Handlers)
	return newTestClient(sess, "CSM Test")
}

// flushAndSync waits until everything rep queued has reached agent.
func flushAndSync(t *testing.T, rep *csm.Reporter, agent *reporttest.Agent) {
	t.Helper()
	require.NoError(t, rep.Flush(testContext(t)))
	agent.Sync(t)
}

// testContext returns a context that ends with the test, or after a minute:
// a safety net against a hung test, not a measured duration.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// callOnce makes one successful call of operation with c, waits until its
// metrics have reached agent, and returns the two events: the attempt's
// and the call's.
func callOnce(t *testing.T, c *client.Client, operation string, rep *csm.Reporter, agent *reporttest.Agent) []map[string]any {
	t.Helper()
	require.NoError(t, callOperation(c, operation))
	flushAndSync(t, rep, agent)
	events := agent.Events(t)
	require.Len(t, events, 2)
	return events
}
