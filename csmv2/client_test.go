package csmv2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// testClient is a small aws-sdk-go-v2 client for the "CSM Test" service of
// the conformance suite (or any service ID), built the way generated
// clients of this SDK version are: service metadata in an Initialize
// middleware, a JSON-RPC request, a User-Agent, the standard retryer (without its Amz-Sdk-Request header),
// Signature Version 4, and a deserializer that turns an error response into
// a smithy.APIError. Its HTTP client is a stub.
type testClient struct {
	serviceID   string
	region      string
	credentials aws.CredentialsProvider
	maxAttempts int
	apiOptions  []func(*middleware.Stack) error
	http        *stubHTTP
}

// newTestClient returns a client for serviceID made from cfg, the way a
// service's NewFromConfig takes the region, credentials and APIOptions.
func newTestClient(cfg aws.Config, serviceID string, maxAttempts int, http *stubHTTP) *testClient {
	return &testClient{
		serviceID:   serviceID,
		region:      cfg.Region,
		credentials: cfg.Credentials,
		maxAttempts: maxAttempts,
		apiOptions:  cfg.APIOptions,
		http:        http,
	}
}

// endpointHost is the host of the service's endpoint, as the suite expects
// it for "CSM Test": csmtest.us-west-2.amazonaws.com.
func (c *testClient) endpointHost() string {
	return strings.ToLower(strings.ReplaceAll(c.serviceID, " ", "")) + "." + c.region + ".amazonaws.com"
}

// call runs operation, as a generated client's operation method does.
func (c *testClient) call(ctx context.Context, operation string) error {
	ctx = middleware.ClearStackValues(ctx)
	stack := middleware.NewStack(operation, smithyhttp.NewStackRequest)
	if err := c.addMiddleware(stack, operation); err != nil {
		return err
	}
	for _, fn := range c.apiOptions {
		if err := fn(stack); err != nil {
			return err
		}
	}
	handler := middleware.DecorateHandler(smithyhttp.NewClientHandler(c.http), stack)
	_, _, err := handler.Handle(ctx, struct{}{})
	if err != nil {
		return &smithy.OperationError{ServiceID: c.serviceID, OperationName: operation, Err: err}
	}
	return nil
}

func (c *testClient) addMiddleware(stack *middleware.Stack, operation string) error {
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		if c.maxAttempts > 0 {
			o.MaxAttempts = c.maxAttempts
		}
		o.Backoff = noBackoff{}
		o.RateLimiter = ratelimit.NewTokenRateLimit(1 << 30)
	})
	steps := []error{
		stack.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{
			ServiceID:     c.serviceID,
			SigningName:   "csmtest",
			Region:        c.region,
			OperationName: operation,
		}, middleware.Before),
		stack.Serialize.Add(serializeJSONRPC{host: c.endpointHost(), target: "CSMTest." + operation}, middleware.After),
		awsmiddleware.AddRequestUserAgentMiddleware(stack),
		stack.Build.Add(payloadHash{}, middleware.After),
		stack.Finalize.Add(retry.NewAttemptMiddleware(retryer, smithyhttp.RequestCloner), middleware.After),
		stack.Finalize.Add(v4.NewSignHTTPRequestMiddleware(v4.SignHTTPRequestMiddlewareOptions{
			CredentialsProvider: c.credentials,
			Signer:              v4.NewSigner(),
		}), middleware.After),
		awsmiddleware.AddRawResponseToMetadata(stack),
		stack.Deserialize.Add(deserializeJSONRPC{}, middleware.After),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}

// payloadHash gives the signer the hash of the request body, "{}". The
// middleware aws-sdk-go-v2 has for this moved between steps across its
// versions; this client runs on the lowest and the newest.
type payloadHash struct{}

func (payloadHash) ID() string { return "TestPayloadHash" }

func (payloadHash) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error,
) {
	sum := sha256.Sum256([]byte("{}"))
	return next.HandleBuild(v4.SetPayloadHash(ctx, hex.EncodeToString(sum[:])), in)
}

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// serializeJSONRPC builds the request: a POST of "{}" to the endpoint.
type serializeJSONRPC struct {
	scheme       string // "https" if empty
	host, target string
}

func (serializeJSONRPC) ID() string { return "OperationSerializer" }

func (s serializeJSONRPC) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (
	middleware.SerializeOutput, middleware.Metadata, error,
) {
	req := in.Request.(*smithyhttp.Request)
	req.Method = http.MethodPost
	req.URL.Scheme, req.URL.Host, req.URL.Path = s.scheme, s.host, "/"
	if req.URL.Scheme == "" {
		req.URL.Scheme = "https"
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", s.target)
	req, err := req.SetStream(bytes.NewReader([]byte("{}")))
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	return next.HandleSerialize(ctx, in)
}

// deserializeJSONRPC turns a response with an error status into a
// smithy.APIError from its JSON body ({"__type": code, "message": ...}).
type deserializeJSONRPC struct{}

func (deserializeJSONRPC) ID() string { return "OperationDeserializer" }

func (deserializeJSONRPC) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, metadata, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, metadata, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, metadata, &smithy.DeserializationError{Err: fmt.Errorf("unknown response type %T", out.RawResponse)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, metadata, &smithy.DeserializationError{Err: err}
	}
	if resp.StatusCode < 300 {
		return out, metadata, nil
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Type == "" {
		e.Type, e.Message = "UnknownError", string(body)
	}
	return out, metadata, &smithyhttp.ResponseError{Response: resp, Err: &smithy.GenericAPIError{Code: e.Type, Message: e.Message}}
}

// stubResponse answers one attempt: an HTTP response, or sendErr.
type stubResponse struct {
	status       int
	headers      map[string]string
	errorCode    string
	errorMessage string
	sendErr      error
	// during, when set, runs while the attempt is being answered.
	during func()
}

// stubHTTP is the clients' HTTP client: it answers the attempts with its
// responses in turn, and then with 200s.
type stubHTTP struct {
	mu        sync.Mutex
	responses []stubResponse
	attempts  int
}

// Do answers the next attempt.
func (s *stubHTTP) Do(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	r := stubResponse{status: 200}
	if s.attempts < len(s.responses) {
		r = s.responses[s.attempts]
	}
	s.attempts++
	s.mu.Unlock()

	if r.during != nil {
		r.during()
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	if r.sendErr != nil {
		return nil, r.sendErr
	}
	body := "{}"
	if r.errorCode != "" {
		b, _ := json.Marshal(map[string]string{"__type": r.errorCode, "message": r.errorMessage})
		body = string(b)
	}
	resp := &http.Response{
		StatusCode:    r.status,
		Status:        http.StatusText(r.status),
		Header:        http.Header{"Content-Type": []string{"application/x-amz-json-1.1"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
	for k, v := range r.headers {
		resp.Header.Set(k, v)
	}
	return resp, nil
}

// Attempts returns the number of attempts answered.
func (s *stubHTTP) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// sendError is a failure to send: the request got no response.
type sendError struct {
	msg       string
	retryable bool
}

func (e *sendError) Error() string { return e.msg }

// RetryableError tells aws-sdk-go-v2's retryer whether to retry.
func (e *sendError) RetryableError() bool { return e.retryable }
