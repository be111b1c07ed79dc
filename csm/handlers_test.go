package csm_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func TestAttemptFields(t *testing.T) {
	rep, agent := startReporter(t, "fields")
	c := newInstrumentedClient(t, rep, &stubTransport{responses: []stubResponse{{
		Status: 200,
		Headers: map[string]string{
			"x-amz-id-2":       "id-2",
			"x-amz-request-id": "request-id",
			"x-amzn-RequestId": "amzn-request-id",
		},
	}}})
	require.NoError(t, callOperation(c, "Fields"))
	flushAndSync(t, rep, agent)

	events := agent.Events(t)
	require.Len(t, events, 2)
	attempt, call := events[0], events[1]
	assert.Equal(t, "ApiCallAttempt", attempt["Type"])
	assert.Equal(t, "fields", attempt["ClientId"])
	assert.Equal(t, "CSM Test", attempt["Service"])
	assert.Equal(t, "Fields", attempt["Api"])
	assert.Equal(t, "csmtest.us-west-2.amazonaws.com", attempt["Fqdn"])
	assert.Equal(t, testRegion, attempt["Region"])
	assert.Equal(t, testAccessKey, attempt["AccessKey"])
	assert.Equal(t, testSessionToken, attempt["SessionToken"], "the agent is on loopback")
	assert.Equal(t, "id-2", attempt["XAmzId2"])
	assert.Equal(t, "request-id", attempt["XAmzRequestId"])
	assert.Equal(t, "amzn-request-id", attempt["XAmznRequestId"])
	assert.Contains(t, attempt["UserAgent"], "aws-sdk-go/")
	assert.EqualValues(t, "1", attempt["Version"].(interface{ String() string }).String())

	assert.Equal(t, "ApiCall", call["Type"])
	assert.EqualValues(t, "200", call["FinalHttpStatusCode"].(interface{ String() string }).String())
	for _, f := range []string{"AccessKey", "SessionToken", "Fqdn", "XAmzId2"} {
		assert.NotContains(t, call, f)
	}
	for _, raw := range agent.Raw() {
		assert.NotContains(t, string(raw), testSecretKey)
		assert.False(t, strings.HasSuffix(string(raw), "\n"), "no trailing newline")
	}
}

func TestInjectHandlersIdempotent(t *testing.T) {
	rep, agent := startReporter(t, "")
	reporttest.IsolateEnv(t)
	sess, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	before := sess.Handlers.Complete.Len()

	rep.InjectHandlers(&sess.Handlers)
	rep.InjectHandlers(&sess.Handlers)
	assert.Equal(t, before+1, sess.Handlers.Complete.Len())

	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Once"))
	flushAndSync(t, rep, agent)
	assert.Equal(t, 2, agent.Len(), "one attempt and one call, not twice each")
}

// TestInjectHandlersReplacesOriginal injects aws-sdk-go's own CSM handlers,
// then ours: only ours may run.
func TestInjectHandlersReplacesOriginal(t *testing.T) {
	original, err := awscsm.Start("", sdkAgent.Addr())
	require.NoError(t, err)
	rep, agent := startReporter(t, "")

	handlers := request.Handlers{}
	original.InjectHandlers(&handlers)
	rep.InjectHandlers(&handlers)
	require.Equal(t, 1, handlers.Complete.Len())
	require.Equal(t, 1, handlers.CompleteAttempt.Len())

	reporttest.IsolateEnv(t)
	sess, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	sess.Handlers.Complete = handlers.Complete
	sess.Handlers.CompleteAttempt = handlers.CompleteAttempt
	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Replaced"))
	flushAndSync(t, rep, agent)
	assert.Equal(t, csm.Stats{Queued: 2, Sent: 2}, rep.Stats(), "our handlers ran once each")
}

func TestCredentials(t *testing.T) {
	cases := []struct {
		name        string
		credentials *credentials.Credentials
		accessKey   string
	}{
		{"anonymous", credentials.AnonymousCredentials, ""},
		{"static", credentials.NewStaticCredentials("AKIDSTATIC", testSecretKey, ""), "AKIDSTATIC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, agent := startReporter(t, "")
			c := newInstrumentedClient(t, rep, &stubTransport{}, &aws.Config{Credentials: tc.credentials})
			require.NoError(t, callOperation(c, "Creds"))
			flushAndSync(t, rep, agent)
			events := agent.Events(t)
			require.Len(t, events, 2)
			if tc.accessKey == "" {
				assert.NotContains(t, events[0], "AccessKey")
			} else {
				assert.Equal(t, tc.accessKey, events[0]["AccessKey"])
			}
			assert.NotContains(t, events[0], "SessionToken")
		})
	}
}

// TestNilCredentials runs the handlers on requests whose configuration has
// no credentials at all (the original dereferences them and crashes).
func TestNilCredentials(t *testing.T) {
	rep, agent := startReporter(t, "")
	c := newInstrumentedClient(t, rep, &stubTransport{})
	c.Config.Credentials = nil
	c.Handlers.Sign.Clear() // an unsigned request, as with a custom signer
	events := callOnce(t, c, "NilCreds", rep, agent)
	assert.NotContains(t, events[0], "AccessKey")
}

// countingProvider counts how often credentials are fetched. Its
// credentials are always expired, so every Get fetches.
type countingProvider struct{ fetches atomic.Int32 }

func (p *countingProvider) Retrieve() (credentials.Value, error) {
	p.fetches.Add(1)
	return credentials.Value{AccessKeyID: "AKIDFETCHED", SecretAccessKey: testSecretKey}, nil
}
func (p *countingProvider) IsExpired() bool { return true }

func TestNoCredentialFetch(t *testing.T) {
	rep, agent := startReporter(t, "")
	provider := &countingProvider{}
	c := newInstrumentedClient(t, rep, &stubTransport{responses: []stubResponse{{Status: 500}, {Status: 500}, {Status: 200}}},
		&aws.Config{Credentials: credentials.NewCredentials(provider)})
	require.NoError(t, callOperation(c, "Fetch"))
	flushAndSync(t, rep, agent)

	// The signer fetches once per attempt; reporting adds nothing (the
	// original fetches once more per attempt).
	assert.Equal(t, int32(3), provider.fetches.Load())
	events := agent.Events(t)
	require.Len(t, events, 4)
	assert.Equal(t, "AKIDFETCHED", events[0]["AccessKey"])
}

func TestCallOutcomes(t *testing.T) {
	retryable := &sendError{msg: "connection reset", retryable: true}
	cases := []struct {
		name       string
		maxRetries int
		responses  []stubResponse
		want       map[string]string // fields of the ApiCall, as JSON text
		absent     []string
	}{{
		name:       "last retry succeeded",
		maxRetries: 1,
		responses:  []stubResponse{{Status: 503, ErrorCode: "ServiceUnavailable"}, {Status: 200}},
		want:       map[string]string{"AttemptCount": "2", "MaxRetriesExceeded": "0", "FinalHttpStatusCode": "200"},
		absent:     []string{"FinalAwsException", "FinalSdkException"},
	}, {
		name:       "retries exhausted",
		maxRetries: 1,
		responses:  []stubResponse{{Status: 503, ErrorCode: "ServiceUnavailable"}, {Status: 503, ErrorCode: "ServiceUnavailable", ErrorMessage: "slow down"}},
		want:       map[string]string{"AttemptCount": "2", "MaxRetriesExceeded": "1", "FinalAwsException": "ServiceUnavailable", "FinalAwsExceptionMessage": "slow down"},
	}, {
		name:       "not retryable",
		maxRetries: 3,
		responses:  []stubResponse{{Status: 400, ErrorCode: "ValidationException", ErrorMessage: "bad"}},
		want:       map[string]string{"AttemptCount": "1", "MaxRetriesExceeded": "0", "FinalHttpStatusCode": "400", "FinalAwsException": "ValidationException"},
	}, {
		name:       "transport errors exhausted",
		maxRetries: 2,
		responses:  []stubResponse{{SendErr: retryable}, {SendErr: retryable}, {SendErr: retryable}},
		want:       map[string]string{"AttemptCount": "3", "MaxRetriesExceeded": "1", "FinalSdkException": "RequestError", "FinalSdkExceptionMessage": "connection reset"},
		absent:     []string{"FinalHttpStatusCode"},
	}, {
		// aws-sdk-go's retryer calls nothing retryable when retries are
		// disabled; the error would have been retried had there been any.
		name:       "retries disabled",
		maxRetries: 0,
		responses:  []stubResponse{{SendErr: retryable}},
		want:       map[string]string{"AttemptCount": "1", "MaxRetriesExceeded": "1", "FinalSdkException": "RequestError"},
	}, {
		name:       "retries disabled, error not retryable",
		maxRetries: 0,
		responses:  []stubResponse{{Status: 400, ErrorCode: "ValidationException"}},
		want:       map[string]string{"AttemptCount": "1", "MaxRetriesExceeded": "0"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, agent := startReporter(t, "")
			c := newInstrumentedClient(t, rep, &stubTransport{responses: tc.responses}, &aws.Config{MaxRetries: aws.Int(tc.maxRetries)})
			_ = callOperation(c, "Outcome")
			flushAndSync(t, rep, agent)
			events := agent.Events(t)
			require.NotEmpty(t, events)
			call := events[len(events)-1]
			require.Equal(t, "ApiCall", call["Type"])
			for k, v := range tc.want {
				assert.Equal(t, v, stringOf(call[k]), k)
			}
			for _, k := range tc.absent {
				assert.NotContains(t, call, k)
			}
		})
	}
}

// TestCanceled checks that an attempt canceled while in flight has no
// HttpStatusCode (the original sends 0) and is an SdkException with the
// context's message.
func TestCanceled(t *testing.T) {
	rep, agent := startReporter(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	c := newInstrumentedClient(t, rep, &stubTransport{responses: []stubResponse{{Cancel: cancel}}})
	req := c.NewRequest(&request.Operation{Name: "InFlight", HTTPMethod: "POST", HTTPPath: "/"}, &struct{}{}, &struct{}{})
	req.SetContext(ctx)
	require.Error(t, req.Send())
	flushAndSync(t, rep, agent)

	events := agent.Events(t)
	require.Len(t, events, 2)
	assert.NotContains(t, events[0], "HttpStatusCode")
	assert.Equal(t, "RequestCanceled", events[0]["SdkException"])
	assert.Equal(t, "context canceled", events[0]["SdkExceptionMessage"])
	assert.NotContains(t, events[1], "FinalHttpStatusCode")
	assert.Equal(t, "RequestCanceled", events[1]["FinalSdkException"])
	assert.Equal(t, "1", stringOf(events[1]["AttemptCount"]))
}

// TestFailedBeforeAttempt checks a call that fails in its Build handlers:
// there is no attempt, and the ApiCall says so.
func TestFailedBeforeAttempt(t *testing.T) {
	rep, agent := startReporter(t, "")
	c := newInstrumentedClient(t, rep, &stubTransport{})
	c.Handlers.Build.PushBack(func(r *request.Request) {
		invalid := request.ErrInvalidParams{Context: "Input"}
		invalid.Add(request.NewErrParamRequired("TableName"))
		invalid.Add(request.NewErrParamRequired("Key"))
		r.Error = invalid
	})
	require.Error(t, callOperation(c, "Invalid"))
	flushAndSync(t, rep, agent)

	events := agent.Events(t)
	require.Len(t, events, 1)
	assert.Equal(t, "ApiCall", events[0]["Type"])
	assert.Equal(t, "0", stringOf(events[0]["AttemptCount"]))
	assert.Equal(t, "InvalidParameter", events[0]["FinalSdkException"], "a client-side error is not an AwsException")
	msg, _ := events[0]["FinalSdkExceptionMessage"].(string)
	assert.Contains(t, msg, "Input.TableName", "every field that failed")
	assert.Contains(t, msg, "Input.Key")
}

// TestSigningFailsOnRetry checks the ApiCall of a call whose first attempt
// got a 500 and whose retry failed to sign: one attempt was sent, and the
// failure is the signing error, not the earlier response.
func TestSigningFailsOnRetry(t *testing.T) {
	rep, agent := startReporter(t, "")
	c := newInstrumentedClient(t, rep, &stubTransport{responses: []stubResponse{{Status: 500, ErrorCode: "InternalError"}}},
		&aws.Config{MaxRetries: aws.Int(1)})
	c.Handlers.Sign.PushBack(func(r *request.Request) {
		if r.RetryCount == 1 {
			r.Error = awserr.New("SigningError", "credentials expired", nil)
		}
	})
	require.Error(t, callOperation(c, "Resign"))
	flushAndSync(t, rep, agent)

	events := agent.Events(t)
	require.Len(t, events, 2, "one attempt, one call")
	call := events[1]
	assert.Equal(t, "1", stringOf(call["AttemptCount"]))
	assert.NotContains(t, call, "FinalHttpStatusCode")
	assert.NotContains(t, call, "FinalAwsException")
	assert.Equal(t, "SigningError", call["FinalSdkException"])
	assert.Equal(t, "0", stringOf(call["MaxRetriesExceeded"]))
}

func stringOf(v any) string {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	s, _ := v.(string)
	return s
}

var _ http.RoundTripper = (*stubTransport)(nil)

func TestSessionTokenOnlyToLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.0.0.2", "[::1]", "localhost", ""} {
		t.Run(host, func(t *testing.T) {
			listen := host
			switch host {
			case "", "localhost":
				listen = "127.0.0.1"
			}
			agent, err := reporttest.Listen(listen + ":0")
			if err != nil {
				// No IPv6, or no 127.0.0.2 (macOS): nothing to test.
				t.Skipf("cannot listen on %s here: %v", listen, err)
			}
			t.Cleanup(agent.Close)
			rep, err := csm.Start("", host+":"+agent.Port())
			require.NoError(t, err)
			t.Cleanup(csm.ResetForTest)
			c := newInstrumentedClient(t, rep, &stubTransport{})
			events := callOnce(t, c, "Token", rep, agent)
			require.Len(t, events, 2)
			assert.Equal(t, testSessionToken, events[0]["SessionToken"], "the attempt")
			assert.NotContains(t, events[1], "SessionToken", "the call")
		})
	}
	// An agent elsewhere gets no token: report's
	// TestReadRequestTokenOnlyToLoopback (tests send to loopback only).
}

// TestHandlersDoNotAllocate pins the steady-state cost of reporting a call
// of one attempt, its error included: no allocation, running or paused.
func TestHandlersDoNotAllocate(t *testing.T) {
	skipUnderRace(t)
	rep, _ := startReporter(t, "allocs")
	reporttest.IsolateEnv(t)
	replay := newReplay(t, rep, stubResponse{
		Status: 503, ErrorCode: "ServiceUnavailable", ErrorMessage: "busy",
		Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
	})
	assert.Zero(t, testing.AllocsPerRun(1000, replay.call))
	st := rep.Stats()
	assert.Equal(t, st.Queued+st.DroppedFull, uint64(2*1001), "every metric was queued or counted as dropped")

	rep.Pause()
	assert.Zero(t, testing.AllocsPerRun(1000, replay.call), "paused")
}

// TestDropPathDoesNotAllocate fills a one-metric queue, so that most metrics
// are dropped, and checks that dropping them allocates nothing.
func TestDropPathDoesNotAllocate(t *testing.T) {
	skipUnderRace(t)
	size := csm.MetricsChannelSize
	csm.MetricsChannelSize = 1
	t.Cleanup(func() { csm.MetricsChannelSize = size })
	rep, _ := startReporter(t, "drops")
	reporttest.IsolateEnv(t)
	replay := newReplay(t, rep)
	assert.Zero(t, testing.AllocsPerRun(1000, replay.call))
	st := rep.Stats()
	assert.NotZero(t, st.DroppedFull, "the queue overflowed")
	assert.Equal(t, uint64(2*1001), st.Queued+st.DroppedFull)
}

// skipUnderRace skips an allocation count: .ci/run runs those without -race.
func skipUnderRace(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
}
