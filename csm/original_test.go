package csm_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/client/metadata"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestOriginalReportingMetrics is aws-sdk-go v1.55.8's own test of its
// aws/csm reporter (TestReportingMetrics in aws/csm/reporter_test.go),
// pointed at this package: the same requests, built the same way, with
// errors set by handlers on HTTP responses, and the same expected fields,
// but one. The original sends "Code: message" as the exception message;
// this package sends the message alone (see docs/differences.md), so the
// expected messages here are the original's without their "Code: " prefix.
func TestOriginalReportingMetrics(t *testing.T) {
	rep, agent := startReporter(t, "")
	// aws-sdk-go's awstesting/unit.Session, made here: that package makes
	// its session when it is loaded, which would log "Enabling CSM" in the
	// child processes of the conformance test.
	reporttest.IsolateEnv(t)
	unitSession := session.Must(session.NewSession(aws.NewConfig().
		WithCredentials(credentials.NewStaticCredentials("AKID", "SECRET", "SESSION")).
		WithRegion("mock-region")))
	sess := unitSession.Copy(&aws.Config{
		SleepDelay: func(time.Duration) {},
	})
	sess.Handlers.Validate.Clear()
	sess.Handlers.Sign.Clear()
	sess.Handlers.Send.Clear()
	rep.InjectHandlers(&sess.Handlers)

	// originalMessage turns the original's expected message into this
	// package's.
	originalMessage := func(code, msg string) string {
		return strings.TrimPrefix(msg, code+": ")
	}

	cases := map[string]struct {
		Request       func() *request.Request
		ExpectMetrics []map[string]interface{}
	}{
		"successful request": {
			Request: func() *request.Request {
				md := metadata.ClientInfo{}
				op := &request.Operation{Name: "OperationName"}
				req := request.New(*sess.Config, md, sess.Handlers, client.DefaultRetryer{NumMaxRetries: 3}, op, nil, nil)
				req.Handlers.Send.PushBack(func(r *request.Request) {
					req.HTTPResponse = &http.Response{
						StatusCode: 200,
						Header:     http.Header{},
					}
				})
				return req
			},
			ExpectMetrics: []map[string]interface{}{
				{
					"Type":           "ApiCallAttempt",
					"HttpStatusCode": float64(200),
				},
				{
					"Type":                "ApiCall",
					"FinalHttpStatusCode": float64(200),
				},
			},
		},
		"failed request, no retry": {
			Request: func() *request.Request {
				md := metadata.ClientInfo{}
				op := &request.Operation{Name: "OperationName"}
				req := request.New(*sess.Config, md, sess.Handlers, client.DefaultRetryer{NumMaxRetries: 3}, op, nil, nil)
				req.Handlers.Send.PushBack(func(r *request.Request) {
					req.HTTPResponse = &http.Response{
						StatusCode: 400,
						Header:     http.Header{},
					}
					req.Retryable = aws.Bool(false)
					req.Error = awserr.New("Error", "Message", nil)
				})

				return req
			},
			ExpectMetrics: []map[string]interface{}{
				{
					"Type":                "ApiCallAttempt",
					"HttpStatusCode":      float64(400),
					"AwsException":        "Error",
					"AwsExceptionMessage": originalMessage("Error", "Error: Message"),
				},
				{
					"Type":                     "ApiCall",
					"FinalHttpStatusCode":      float64(400),
					"FinalAwsException":        "Error",
					"FinalAwsExceptionMessage": originalMessage("Error", "Error: Message"),
					"AttemptCount":             float64(1),
				},
			},
		},
		"failed request, with retry": {
			Request: func() *request.Request {
				md := metadata.ClientInfo{}
				op := &request.Operation{Name: "OperationName"}
				req := request.New(*sess.Config, md, sess.Handlers, client.DefaultRetryer{NumMaxRetries: 1}, op, nil, nil)
				resps := []*http.Response{
					{
						StatusCode: 500,
						Header:     http.Header{},
					},
					{
						StatusCode: 500,
						Header:     http.Header{},
					},
				}
				req.Handlers.Send.PushBack(func(r *request.Request) {
					req.HTTPResponse = resps[0]
					resps = resps[1:]
				})

				return req
			},
			ExpectMetrics: []map[string]interface{}{
				{
					"Type":                "ApiCallAttempt",
					"HttpStatusCode":      float64(500),
					"AwsException":        "UnknownError",
					"AwsExceptionMessage": originalMessage("UnknownError", "UnknownError: unknown error"),
				},
				{
					"Type":                "ApiCallAttempt",
					"HttpStatusCode":      float64(500),
					"AwsException":        "UnknownError",
					"AwsExceptionMessage": originalMessage("UnknownError", "UnknownError: unknown error"),
				},
				{
					"Type":                     "ApiCall",
					"FinalHttpStatusCode":      float64(500),
					"FinalAwsException":        "UnknownError",
					"FinalAwsExceptionMessage": originalMessage("UnknownError", "UnknownError: unknown error"),
					"AttemptCount":             float64(2),
				},
			},
		},
		"success request, with retry": {
			Request: func() *request.Request {
				md := metadata.ClientInfo{}
				op := &request.Operation{Name: "OperationName"}
				req := request.New(*sess.Config, md, sess.Handlers, client.DefaultRetryer{NumMaxRetries: 3}, op, nil, nil)
				errs := []error{
					awserr.New("AWSError", "aws error", nil),
					awserr.New(request.ErrCodeRequestError, "sdk error", nil),
					nil,
				}
				resps := []*http.Response{
					{
						StatusCode: 500,
						Header:     http.Header{},
					},
					{
						StatusCode: 500,
						Header:     http.Header{},
					},
					{
						StatusCode: 200,
						Header:     http.Header{},
					},
				}
				req.Handlers.Send.PushBack(func(r *request.Request) {
					req.HTTPResponse = resps[0]
					resps = resps[1:]
					req.Error = errs[0]
					errs = errs[1:]
				})

				return req
			},
			ExpectMetrics: []map[string]interface{}{
				{
					"Type":                "ApiCallAttempt",
					"AwsException":        "AWSError",
					"AwsExceptionMessage": originalMessage("AWSError", "AWSError: aws error"),
					"HttpStatusCode":      float64(500),
				},
				{
					"Type":                "ApiCallAttempt",
					"SdkException":        request.ErrCodeRequestError,
					"SdkExceptionMessage": originalMessage(request.ErrCodeRequestError, request.ErrCodeRequestError+": sdk error"),
					"HttpStatusCode":      float64(500),
				},
				{
					"Type":                "ApiCallAttempt",
					"AwsException":        nil,
					"AwsExceptionMessage": nil,
					"SdkException":        nil,
					"SdkExceptionMessage": nil,
					"HttpStatusCode":      float64(200),
				},
				{
					"Type":                     "ApiCall",
					"FinalHttpStatusCode":      float64(200),
					"FinalAwsException":        nil,
					"FinalAwsExceptionMessage": nil,
					"FinalSdkException":        nil,
					"FinalSdkExceptionMessage": nil,
					"AttemptCount":             float64(3),
				},
			},
		},
	}

	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			agent.Reset()
			_ = c.Request().Send()
			flushAndSync(t, rep, agent)
			events := agent.Events(t)
			require.Len(t, events, len(c.ExpectMetrics), "events: %v", events)
			for i, m := range events {
				for ek, ev := range c.ExpectMetrics[i] {
					if ev == nil {
						assert.NotContains(t, m, ek, "event %d", i)
						continue
					}
					got := m[ek]
					if n, ok := got.(json.Number); ok {
						// The original's test decodes numbers as float64.
						got, _ = n.Float64()
					}
					assert.Equal(t, ev, got, "event %d: %s", i, ek)
				}
			}
		})
	}
}

// TestUnreadableErrorResponse: an error response that names no error code
// (503 with an empty body, or a body that is not JSON) is an AwsException
// whose code is the status and whose message is the status text, as
// botocore reports it and as csmv2 reports the same response.
func TestUnreadableErrorResponse(t *testing.T) {
	for _, body := range []string{"", "<html>busy</html>"} {
		t.Run(body, func(t *testing.T) {
			rep, agent := startReporter(t, "")
			transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{},
					Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req}, nil
			})
			c := newInstrumentedClient(t, rep, transport, &aws.Config{MaxRetries: aws.Int(0)})
			require.Error(t, callOperation(c, "Unreadable"))
			flushAndSync(t, rep, agent)
			events := agent.Events(t)
			require.Len(t, events, 2)
			attempt, call := events[0], events[1]
			assert.Equal(t, "503", attempt["AwsException"])
			assert.Equal(t, "Service Unavailable", attempt["AwsExceptionMessage"])
			assert.NotContains(t, attempt, "SdkException")
			assert.Equal(t, "503", call["FinalAwsException"])
			assert.Equal(t, "Service Unavailable", call["FinalAwsExceptionMessage"])
		})
	}
}

// roundTripFunc answers HTTP requests with a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
