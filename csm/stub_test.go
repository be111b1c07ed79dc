package csm_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/client/metadata"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/aws/signer/v4"
	"github.com/aws/aws-sdk-go/private/protocol/jsonrpc"
)

// testSecretKey is the secret access key of the tests' credentials. No
// datagram may ever contain it.
const testSecretKey = "tEsTsEcReTkEy/never+in+a+datagram"

// stubResponse scripts the answer to one HTTP attempt: a response, or, with
// SendErr set, a transport error and no response.
type stubResponse struct {
	Status       int
	Headers      map[string]string
	ErrorCode    string
	ErrorMessage string
	SendErr      *sendError
	// Cancel, when set, is called during the attempt, which then fails
	// with the request context's error.
	Cancel func()
}

// sendError is a transport error; aws-sdk-go retries it when it is
// temporary.
type sendError struct {
	msg       string
	retryable bool
}

func (e *sendError) Error() string   { return e.msg }
func (e *sendError) Temporary() bool { return e.retryable }

// stubTransport is an http.RoundTripper that answers attempts from a script,
// in turn, and then with 200 OK. It stands for the network between the SDK
// and a service; the CSM datagrams still go through a real UDP socket.
type stubTransport struct {
	mu        sync.Mutex
	responses []stubResponse
	attempts  int
}

func (t *stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	t.mu.Lock()
	r := stubResponse{Status: http.StatusOK}
	if t.attempts < len(t.responses) {
		r = t.responses[t.attempts]
	}
	t.attempts++
	t.mu.Unlock()

	if r.Cancel != nil {
		r.Cancel()
	}
	if err := req.Context().Err(); err != nil {
		// As a real transport does with a done context.
		return nil, err
	}
	if r.SendErr != nil {
		return nil, r.SendErr
	}
	body := []byte("{}")
	if r.ErrorCode != "" {
		body, _ = json.Marshal(map[string]string{"__type": r.ErrorCode, "message": r.ErrorMessage})
	}
	header := http.Header{"Content-Type": []string{"application/x-amz-json-1.1"}}
	for k, v := range r.Headers {
		header.Set(k, v)
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status)),
		StatusCode:    r.Status,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// Attempts returns how many attempts the transport has answered.
func (t *stubTransport) Attempts() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempts
}

// newTestClient returns a JSON-RPC client for a service whose ServiceId is
// serviceID ("CSM Test" in the conformance suite), with the endpoint
// aws-sdk-go resolves for it (csmtest.<region>.amazonaws.com), SigV4 signing
// and the session's handlers.
func newTestClient(sess *session.Session, serviceID string, cfgs ...*aws.Config) *client.Client {
	cc := sess.ClientConfig("csmtest", cfgs...)
	c := client.New(*cc.Config, metadata.ClientInfo{
		ServiceName:   "csmtest",
		ServiceID:     serviceID,
		SigningName:   cc.SigningName,
		SigningRegion: cc.SigningRegion,
		PartitionID:   cc.PartitionID,
		Endpoint:      cc.Endpoint,
		APIVersion:    "2018-11-26",
		JSONVersion:   "1.1",
		TargetPrefix:  "CSMTest",
	}, cc.Handlers)
	c.Handlers.Sign.PushBackNamed(v4.SignRequestHandler)
	c.Handlers.Build.PushBackNamed(jsonrpc.BuildHandler)
	c.Handlers.Unmarshal.PushBackNamed(jsonrpc.UnmarshalHandler)
	c.Handlers.UnmarshalMeta.PushBackNamed(jsonrpc.UnmarshalMetaHandler)
	c.Handlers.UnmarshalError.PushBackNamed(jsonrpc.UnmarshalErrorHandler)
	return c
}

// callOperation makes one API call of the named operation.
func callOperation(c *client.Client, operation string) error {
	req := c.NewRequest(&request.Operation{Name: operation, HTTPMethod: "POST", HTTPPath: "/"},
		&struct{}{}, &struct{}{})
	return req.Send()
}
