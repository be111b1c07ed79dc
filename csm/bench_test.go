package csm_test

import (
	"net"
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/report/reporttest"
)

// benchReporters returns the original reporter and ours, plus "none" for an
// uninstrumented baseline. Each sends to a socket of its own on 127.0.0.1
// that nobody reads: the kernel takes the datagrams and drops what overflows
// its buffer, so no agent competes with the benchmark for the machine's
// cores.
//
// The original reporter is process-wide and cannot be moved once started:
// run the benchmarks alone (-run '^$'), or they measure it sending to the
// tests' agent.
func benchReporters(b *testing.B) []struct {
	name string
	rep  injector
} {
	reporttest.IsolateEnv(b)
	original := startOriginal(b, deafSocket(b))
	ours, err := csm.Start("bench", deafSocket(b))
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	return []struct {
		name string
		rep  injector
	}{{"reporter=none", nil}, {"reporter=aws-sdk-go", original}, {"reporter=csm-go", ours}}
}

// startOriginal starts aws-sdk-go's reporter towards addr, or returns the
// one the tests started.
func startOriginal(b *testing.B, addr string) (rep *awscsm.Reporter) {
	defer func() {
		if recover() != nil {
			rep = awscsm.Get()
		}
	}()
	rep, err := awscsm.Start("", addr)
	require.NoError(b, err)
	return rep
}

// deafSocket returns the address of a UDP socket on 127.0.0.1 that is never
// read.
func deafSocket(b *testing.B) string {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	return conn.LocalAddr().String()
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
// one ApiCallAttempt and one ApiCall metric built from a completed request,
// and, for csm-go, the handler that prepares each attempt.
func BenchmarkHandlers(b *testing.B) {
	for _, r := range benchReporters(b)[1:] {
		b.Run(r.name, func(b *testing.B) {
			replay := newReplay(b, r.rep, stubResponse{
				Status: 200, Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
			})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				replay.call()
			}
		})
	}
}

// BenchmarkHandlersPaused measures the handlers of a paused reporter: an
// atomic load in each, and the count of the two metrics dropped.
func BenchmarkHandlersPaused(b *testing.B) {
	reporttest.IsolateEnv(b)
	rep, err := csm.Start("bench", deafSocket(b))
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	rep.Pause()
	replay := newReplay(b, rep)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		replay.call()
	}
}
