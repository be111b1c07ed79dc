package csm_test

import (
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/require"
)

// injector is what the original package's *Reporter and ours have in
// common.
type injector interface {
	InjectHandlers(*request.Handlers)
}

// replay is a "CSM Test" request sent once, and handlers that hold only a
// reporter's: it runs again, without the SDK, what reporting adds to a call.
type replay struct {
	req      *request.Request
	handlers request.Handlers
}

// newReplay sends a request answered by responses (200 OK if none) and
// injects rep's handlers into the replay's own handler lists.
func newReplay(t testing.TB, rep injector, responses ...stubResponse) *replay {
	t.Helper()
	sess, err := session.NewSession(testConfig(&stubTransport{responses: responses}), &aws.Config{MaxRetries: aws.Int(0)})
	require.NoError(t, err)
	req := newTestClient(sess, "CSM Test").NewRequest(&request.Operation{Name: "Replay", HTTPMethod: "POST", HTTPPath: "/"}, &struct{}{}, &struct{}{})
	_ = req.Send()
	r := &replay{req: req}
	rep.InjectHandlers(&r.handlers)
	return r
}

// call runs what reporting adds to a call of one attempt: the handler
// that prepares the attempt, and those that report the attempt and the
// call.
func (r *replay) call() {
	r.handlers.Sign.Run(r.req)
	r.handlers.CompleteAttempt.Run(r.req)
	r.handlers.Complete.Run(r.req)
}
