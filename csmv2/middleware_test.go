package csmv2_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// namedInitialize, namedFinalize stand for aws-sdk-go-v2's middleware of
// the same IDs.
type namedInitialize string

func (m namedInitialize) ID() string { return string(m) }

func (namedInitialize) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	return next.HandleInitialize(ctx, in)
}

type namedFinalize string

func (m namedFinalize) ID() string { return string(m) }

func (namedFinalize) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	return next.HandleFinalize(ctx, in)
}

func TestAddMiddlewarePlaces(t *testing.T) {
	rep, _ := startReporter(t, "")
	cases := []struct {
		name           string
		initialize     []string
		finalize       []string
		times          int
		wantInitialize []string
		wantFinalize   []string
	}{
		{
			name:           "an API call: first in Initialize, right after Retry",
			initialize:     []string{"OperationInputValidation"},
			finalize:       []string{"ResolveEndpointV2", "Retry", "Signing"},
			times:          1,
			wantInitialize: []string{csmv2.CallMiddlewareID, "OperationInputValidation"},
			wantFinalize:   []string{"ResolveEndpointV2", "Retry", csmv2.AttemptMiddlewareID, "Signing"},
		},
		{
			name:           "older SDKs: after the service metadata",
			initialize:     []string{"RegisterServiceMetadata", "OperationInputValidation"},
			finalize:       []string{"Retry", "RetryMetricsHeader", "Signing"},
			times:          1,
			wantInitialize: []string{"RegisterServiceMetadata", csmv2.CallMiddlewareID, "OperationInputValidation"},
			wantFinalize:   []string{"Retry", csmv2.AttemptMiddlewareID, "RetryMetricsHeader", "Signing"},
		},
		{
			name:           "installed three times: once",
			finalize:       []string{"Retry", "Signing"},
			times:          3,
			wantInitialize: []string{csmv2.CallMiddlewareID},
			wantFinalize:   []string{"Retry", csmv2.AttemptMiddlewareID, "Signing"},
		},
		{
			name:         "a presign stack without Retry: nothing",
			finalize:     []string{"Signing", "PresignHTTPRequest"},
			times:        1,
			wantFinalize: []string{"Signing", "PresignHTTPRequest"},
		},
		{
			name:         "an older presign stack with Retry: nothing",
			finalize:     []string{"Retry", "PresignHTTPRequest"},
			times:        1,
			wantFinalize: []string{"Retry", "PresignHTTPRequest"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := middleware.NewStack("Op", smithyhttp.NewStackRequest)
			for _, id := range tc.initialize {
				require.NoError(t, stack.Initialize.Add(namedInitialize(id), middleware.After))
			}
			for _, id := range tc.finalize {
				require.NoError(t, stack.Finalize.Add(namedFinalize(id), middleware.After))
			}
			for i := 0; i < tc.times; i++ {
				require.NoError(t, rep.AddMiddleware(stack))
			}
			assert.Equal(t, nilIfEmpty(tc.wantInitialize), nilIfEmpty(stack.Initialize.List()))
			assert.Equal(t, tc.wantFinalize, stack.Finalize.List())
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestNilReporter(t *testing.T) {
	var rep *csmv2.Reporter
	stack := middleware.NewStack("Op", smithyhttp.NewStackRequest)
	require.NoError(t, stack.Finalize.Add(namedFinalize("Retry"), middleware.After))
	assert.NoError(t, rep.AddMiddleware(stack))
	assert.Equal(t, []string{"Retry"}, stack.Finalize.List())
	rep.Pause()
	rep.Continue()
	assert.Zero(t, rep.Stats())
	assert.NoError(t, rep.Flush(context.Background()))
}

func TestCallAndAttempts(t *testing.T) {
	rep, agent := startReporter(t, "v2-client")
	stub := &stubHTTP{responses: []stubResponse{
		{status: 500, errorCode: "InternalFailure", errorMessage: "try again", headers: map[string]string{"X-Amzn-Requestid": "req-1"}},
		{sendErr: &sendError{msg: "connection reset", retryable: true}},
		{status: 200, headers: map[string]string{"X-Amz-Request-Id": "req-3", "X-Amz-Id-2": "id2-3"}},
	}}
	client := newTestClient(testConfig(rep, "the-token"), "CSM Test", 3, stub)
	require.NoError(t, client.call(context.Background(), "TestOperation"))

	events := flushAndEvents(t, agent)
	require.Len(t, events, 4)
	for _, raw := range agent.Raw() {
		assert.NotContains(t, string(raw), testSecretKey)
	}
	for i, e := range events[:3] {
		assert.Equal(t, "ApiCallAttempt", e["Type"], i)
		assert.Equal(t, "CSM Test", e["Service"], i)
		assert.Equal(t, "TestOperation", e["Api"], i)
		assert.Equal(t, "v2-client", e["ClientId"], i)
		assert.Equal(t, testRegion, e["Region"], i)
		assert.Equal(t, "csmtest.us-west-2.amazonaws.com", e["Fqdn"], i)
		assert.Equal(t, testAccessKey, e["AccessKey"], i)
		assert.Equal(t, "the-token", e["SessionToken"], i)
		assert.Contains(t, e["UserAgent"], "aws-sdk-go-v2", i)
	}
	assert.Equal(t, "500", num(events[0]["HttpStatusCode"]))
	assert.Equal(t, "InternalFailure", events[0]["AwsException"])
	assert.Equal(t, "try again", events[0]["AwsExceptionMessage"])
	assert.Equal(t, "req-1", events[0]["XAmznRequestId"])
	assert.Equal(t, "RequestError", events[1]["SdkException"])
	assert.Equal(t, "connection reset", events[1]["SdkExceptionMessage"])
	assert.NotContains(t, events[1], "HttpStatusCode")
	assert.Equal(t, "200", num(events[2]["HttpStatusCode"]))
	assert.Equal(t, "req-3", events[2]["XAmzRequestId"])
	assert.Equal(t, "id2-3", events[2]["XAmzId2"])

	call := events[3]
	assert.Equal(t, "ApiCall", call["Type"])
	assert.Equal(t, "CSM Test", call["Service"])
	assert.Equal(t, "TestOperation", call["Api"])
	assert.Equal(t, "3", num(call["AttemptCount"]))
	assert.Equal(t, "200", num(call["FinalHttpStatusCode"]))
	assert.Equal(t, "0", num(call["MaxRetriesExceeded"]))
	assert.NotContains(t, call, "FinalAwsException")
	assert.NotContains(t, call, "FinalSdkException")
	assert.Equal(t, rep.Stats().Sent, uint64(4))
}

func TestFailureBeforeSending(t *testing.T) {
	rep, agent := startReporter(t, "")
	cfg := testConfig(rep, "")
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials here")
	})
	stub := &stubHTTP{}
	err := newTestClient(cfg, "CSM Test", 3, stub).call(context.Background(), "TestOperation")
	require.Error(t, err)
	require.Zero(t, stub.Attempts())

	events := flushAndEvents(t, agent)
	require.Len(t, events, 2)
	attempt, call := events[0], events[1]
	assert.Equal(t, "ApiCallAttempt", attempt["Type"])
	assert.Equal(t, "Error", attempt["SdkException"])
	assert.Contains(t, attempt["SdkExceptionMessage"], "no credentials here")
	assert.NotContains(t, attempt, "AccessKey")
	// Signing failed: no attempt reached the network.
	assert.Equal(t, "0", num(call["AttemptCount"]))
	assert.Equal(t, "0", num(call["MaxRetriesExceeded"]))
	assert.NotContains(t, call, "FinalHttpStatusCode")
	assert.Contains(t, call["FinalSdkExceptionMessage"], "no credentials here")
}

func TestRetriesExhausted(t *testing.T) {
	rep, agent := startReporter(t, "")
	unavailable := stubResponse{status: 503, errorCode: "ServiceUnavailable", errorMessage: "down"}
	stub := &stubHTTP{responses: []stubResponse{unavailable, unavailable}}
	err := newTestClient(testConfig(rep, ""), "CSM Test", 2, stub).call(context.Background(), "TestOperation")
	require.Error(t, err)

	events := flushAndEvents(t, agent)
	require.Len(t, events, 3)
	call := events[2]
	assert.Equal(t, "2", num(call["AttemptCount"]))
	assert.Equal(t, "1", num(call["MaxRetriesExceeded"]))
	assert.Equal(t, "503", num(call["FinalHttpStatusCode"]))
	assert.Equal(t, "ServiceUnavailable", call["FinalAwsException"])
	assert.Equal(t, "down", call["FinalAwsExceptionMessage"])
}

func TestPauseContinue(t *testing.T) {
	rep, agent := startReporter(t, "")
	client := newTestClient(testConfig(rep, ""), "CSM Test", 1, &stubHTTP{})

	rep.Pause()
	rep.Pause()
	require.NoError(t, client.call(context.Background(), "Paused"))
	rep.Continue()
	require.NoError(t, client.call(context.Background(), "Continued"))

	events := flushAndEvents(t, agent)
	require.Len(t, events, 2)
	for _, e := range events {
		assert.Equal(t, "Continued", e["Api"])
	}
	st := rep.Stats()
	assert.Equal(t, uint64(2), st.DroppedPaused)
	assert.Equal(t, uint64(2), st.Queued)
}

func TestPausedDuringTheCall(t *testing.T) {
	rep, agent := startReporter(t, "")
	stub := &stubHTTP{responses: []stubResponse{{status: 200, during: rep.Pause}}}
	require.NoError(t, newTestClient(testConfig(rep, ""), "CSM Test", 1, stub).call(context.Background(), "Paused"))
	rep.Continue()
	require.NoError(t, newTestClient(testConfig(rep, ""), "CSM Test", 1, &stubHTTP{}).call(context.Background(), "Continued"))

	events := flushAndEvents(t, agent)
	require.Len(t, events, 2, "nothing of the call paused while it ran: %v", events)
	for _, e := range events {
		assert.Equal(t, "Continued", e["Api"])
	}
	assert.Equal(t, uint64(2), rep.Stats().DroppedPaused, "its attempt and its call")
}

// num returns a JSON number's text, or "" for anything else.
func num(v any) string {
	if n, ok := v.(interface{ String() string }); ok {
		return n.String()
	}
	return ""
}

// sendErr wraps err as aws-sdk-go-v2's HTTP client handler does.
func sendErr(err error) error { return &smithyhttp.RequestSendError{Err: err} }
