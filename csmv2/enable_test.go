package csmv2_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func TestEnable(t *testing.T) {
	t.Run("disabled: nothing added", func(t *testing.T) {
		reporttest.IsolateEnv(t)
		cfg := aws.Config{}
		rep, err := csmv2.Enable(&cfg)
		assert.NoError(t, err)
		assert.Nil(t, rep)
		assert.Empty(t, cfg.APIOptions)
	})
	t.Run("enabled: the middleware added, the calls reported", func(t *testing.T) {
		reporttest.IsolateEnv(t)
		agent := reporttest.NewAgent(t)
		t.Cleanup(csmv2.ResetForTest)
		t.Setenv("AWS_CSM_ENABLED", "true")
		t.Setenv("AWS_CSM_PORT", agent.Port())
		t.Setenv("AWS_CSM_CLIENT_ID", "from-env")
		cfg := testConfig(nil, "")
		rep, err := csmv2.Enable(&cfg)
		require.NoError(t, err)
		require.NotNil(t, rep)
		assert.Same(t, rep, csmv2.Get())
		assert.Len(t, cfg.APIOptions, 1)

		require.NoError(t, newTestClient(cfg, "CSM Test", 1, &stubHTTP{}).call(context.Background(), "TestOperation"))
		events := flushAndEvents(t, agent)
		require.Len(t, events, 2)
		assert.Equal(t, "from-env", events[1]["ClientId"])
	})
	t.Run("nil config", func(t *testing.T) {
		_, err := csmv2.Enable(nil)
		assert.Error(t, err)
	})
}

func TestEnableSettingErrors(t *testing.T) {
	cases := []struct {
		name, key, value string
		wantSetting      string
	}{
		{"malformed enabled", "AWS_CSM_ENABLED", "yes please", "AWS_CSM_ENABLED"},
		{"port not a number", "AWS_CSM_PORT", "31k", "AWS_CSM_PORT"},
		{"port out of range", "AWS_CSM_PORT", "70000", "AWS_CSM_PORT"},
		{"host that cannot resolve", "AWS_CSM_HOST", "bad host!", "AWS_CSM_HOST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reporttest.IsolateEnv(t)
			t.Cleanup(csmv2.ResetForTest)
			t.Setenv("AWS_CSM_ENABLED", "true")
			t.Setenv(tc.key, tc.value)
			cfg := aws.Config{}
			rep, err := csmv2.Enable(&cfg)
			assert.Nil(t, rep)
			var serr *csmv2.SettingError
			require.ErrorAs(t, err, &serr)
			assert.Equal(t, tc.wantSetting, serr.Setting)
			assert.Equal(t, tc.value, serr.Value)
			assert.Contains(t, err.Error(), tc.wantSetting)
			assert.Empty(t, cfg.APIOptions, "the config is left as it was")
		})
	}
}

func TestStartMismatchIsAnError(t *testing.T) {
	rep, agent := startReporter(t, "first")
	again, err := csmv2.Start("first", agent.Addr())
	require.NoError(t, err)
	assert.Same(t, rep, again)

	_, err = csmv2.Start("second", agent.Addr())
	assert.ErrorContains(t, err, `client ID "first", not "second"`)
	_, err = csmv2.Start("first", "127.0.0.1:1")
	assert.ErrorContains(t, err, "address")
	_, err = csmv2.Start("x", "bad host!:31000")
	assert.Error(t, err)
}

func TestClassify(t *testing.T) {
	apiErr := &smithy.GenericAPIError{Code: "NoSuchKey", Message: "The specified key does not exist."}
	respErr := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}}, Err: apiErr}
	urlErr := &url.Error{Op: "Post", URL: "https://example", Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	cases := []struct {
		name        string
		err         error
		wantAWS     bool
		wantCode    string
		wantMessage string
	}{
		{"service error", apiErr, true, "NoSuchKey", "The specified key does not exist."},
		{"service error, wrapped", respErr, true, "NoSuchKey", "The specified key does not exist."},
		{"send failure: the cause, without the URL", sendErr(urlErr), false, "RequestError", "dial tcp 127.0.0.1:1: connect: connection refused"},
		{"canceled", fmt.Errorf("wrapped: %w", context.Canceled), false, "RequestCanceled", "wrapped: context canceled"},
		{"deadline", context.DeadlineExceeded, false, "RequestCanceled", "context deadline exceeded"},
		{"serialization", &smithy.SerializationError{Err: errors.New("bad input")}, false, "SerializationError", "bad input"},
		{"deserialization", &smithy.DeserializationError{Err: errors.New("bad body")}, false, "SerializationError", "bad body"},
		{"invalid parameters", invalidParams(), false, "InvalidParameter", invalidParams().Error()},
		{"anything else", errors.New("no credentials"), false, "Error", "no credentials"},
		{
			"another operation's error inside this one's: not this call's AwsException",
			fmt.Errorf("failed to refresh cached credentials, %w", opErr(respErr)),
			false, "Error", "failed to refresh cached credentials, operation error S3: GetObject, " + respErr.Error(),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := csmv2.ClassifyForTest(tc.err)
			assert.Equal(t, tc.wantAWS, e.AWS)
			assert.Equal(t, tc.wantCode, e.Code)
			assert.Equal(t, tc.wantMessage, e.Message)
		})
	}
}

func invalidParams() error {
	e := smithy.InvalidParamsError{Context: "GetObjectInput"}
	e.Add(smithy.NewErrParamRequired("Bucket"))
	return e
}

func TestRetriesExhaustedIsThisCallsOnly(t *testing.T) {
	exhausted := &retry.MaxAttemptsError{Attempt: 3, Err: errors.New("busy")}
	assert.True(t, csmv2.RetriesExhaustedForTest(exhausted))
	assert.False(t, csmv2.RetriesExhaustedForTest(fmt.Errorf("credentials: %w", opErr(exhausted))))
	assert.False(t, csmv2.RetriesExhaustedForTest(errors.New("busy")))
}

func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: err}
}
