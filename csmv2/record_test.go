package csmv2_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttemptsAfterContinue: the attempts of a call are sent by the call
// middleware, at the call's end. A call that started while the reporter was
// paused is not reported, but an attempt that started after a Continue is,
// as it would be had it sent its datagram itself.
func TestAttemptsAfterContinue(t *testing.T) {
	rep, agent := startReporter(t, "")
	unavailable := stubResponse{status: 503, errorCode: "ServiceUnavailable", errorMessage: "down", during: rep.Continue}
	stub := &stubHTTP{responses: []stubResponse{unavailable}}
	rep.Pause()
	require.NoError(t, newTestClient(testConfig(rep, ""), "CSM Test", 2, stub).call(context.Background(), "Continued"))
	require.Equal(t, 2, stub.Attempts())

	events := flushAndEvents(t, agent)
	require.Len(t, events, 1, "the second attempt only: %v", events)
	attempt := events[0]
	assert.Equal(t, "ApiCallAttempt", attempt["Type"])
	assert.Equal(t, "CSM Test", attempt["Service"])
	assert.Equal(t, "Continued", attempt["Api"])
	assert.Equal(t, testRegion, attempt["Region"])
	assert.Equal(t, "200", num(attempt["HttpStatusCode"]))
	st := rep.Stats()
	assert.Equal(t, uint64(2), st.DroppedPaused, "the call and its first attempt")
	assert.Equal(t, uint64(1), st.Queued)
}

// TestAttemptsBeforeTheirCall: a call's attempts reach the agent before
// the call, each with its own timestamp and the call's service, operation
// and region.
func TestAttemptsBeforeTheirCall(t *testing.T) {
	rep, agent := startReporter(t, "")
	unavailable := stubResponse{status: 503, errorCode: "ServiceUnavailable", errorMessage: "down"}
	stub := &stubHTTP{responses: []stubResponse{unavailable}}
	require.NoError(t, newTestClient(testConfig(rep, ""), "CSM Test", 2, stub).call(context.Background(), "TestOperation"))

	events := flushAndEvents(t, agent)
	require.Len(t, events, 3)
	for i, e := range events[:2] {
		assert.Equal(t, "ApiCallAttempt", e["Type"], i)
		assert.Equal(t, "TestOperation", e["Api"], i)
		assert.Equal(t, testRegion, e["Region"], i)
	}
	assert.Equal(t, "ServiceUnavailable", events[0]["AwsException"])
	assert.Equal(t, "200", num(events[1]["HttpStatusCode"]))
	assert.Equal(t, "ApiCall", events[2]["Type"])
	assert.Equal(t, "2", num(events[2]["AttemptCount"]))
	first, _ := events[0]["Timestamp"].(interface{ String() string })
	call, _ := events[2]["Timestamp"].(interface{ String() string })
	require.NotNil(t, first)
	require.NotNil(t, call)
	assert.LessOrEqual(t, call.String(), first.String(), "the call started before its first attempt")
}

// TestAttemptsAfterContinueWritten checks that the attempts sent of a call
// that started paused are written when the call returns, although the call
// has no ApiCall metric to end it.
func TestAttemptsAfterContinueWritten(t *testing.T) {
	rep, agent := startReporter(t, "")
	unavailable := stubResponse{status: 503, errorCode: "ServiceUnavailable", errorMessage: "down", during: rep.Continue}
	rep.Pause()
	require.NoError(t, newTestClient(testConfig(rep, ""), "CSM Test", 2, &stubHTTP{responses: []stubResponse{unavailable}}).
		call(context.Background(), "Continued"))
	st := rep.Stats()
	require.Equal(t, uint64(1), st.Queued, "the second attempt")
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors+st.Deferred, "written or deferred when the call returned")
	agent.Sync(t)
	assert.Equal(t, 1, agent.Len())
}
