package csm_test

import (
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/testutil"
)

// injector is what the original package's *Reporter and ours have in
// common.
type injector interface {
	InjectHandlers(*request.Handlers)
}

// benchReporters returns the original reporter and ours, each sending to a
// local agent, plus "none" for an uninstrumented baseline.
func benchReporters(b *testing.B) []struct {
	name string
	rep  injector
} {
	isolateEnv(b)
	sdkAgent.KeepDatagrams(false)
	b.Cleanup(func() { sdkAgent.KeepDatagrams(true) })
	original, err := awscsm.Start("", sdkAgent.Addr())
	require.NoError(b, err)
	agent := testutil.NewSink(b)
	ours, err := csm.Start("bench", agent.Addr())
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	return []struct {
		name string
		rep  injector
	}{{"reporter=none", nil}, {"reporter=aws-sdk-go", original}, {"reporter=csm-go", ours}}
}

// BenchmarkAPICall measures one API call (one attempt) through a real
// aws-sdk-go client, its HTTP layer stubbed, without CSM, with the original
// package and with this one.
func BenchmarkAPICall(b *testing.B) {
	for _, r := range benchReporters(b) {
		b.Run(r.name, func(b *testing.B) {
			sess, err := session.NewSession(testConfig(&stubTransport{}))
			require.NoError(b, err)
			if r.rep != nil {
				r.rep.InjectHandlers(&sess.Handlers)
			}
			c := newTestClient(sess, "CSM Test")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := callOperation(c, "Bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandlers measures only what the CSM handlers add to an API call:
// one ApiCallAttempt and one ApiCall metric built from a completed request.
func BenchmarkHandlers(b *testing.B) {
	for _, r := range benchReporters(b)[1:] {
		b.Run(r.name, func(b *testing.B) {
			sess, err := session.NewSession(testConfig(&stubTransport{responses: []stubResponse{{
				Status: 200, Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
			}}}))
			require.NoError(b, err)
			c := newTestClient(sess, "CSM Test")
			req := c.NewRequest(&request.Operation{Name: "Bench", HTTPMethod: "POST", HTTPPath: "/"}, &struct{}{}, &struct{}{})
			require.NoError(b, req.Send())

			var handlers request.Handlers
			r.rep.InjectHandlers(&handlers)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handlers.CompleteAttempt.Run(req)
				handlers.Complete.Run(req)
			}
		})
	}
}
