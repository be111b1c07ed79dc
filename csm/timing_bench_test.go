package csm_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// injectFunc makes a function an injector.
type injectFunc func(*request.Handlers)

func (f injectFunc) InjectHandlers(h *request.Handlers) { f(h) }

// netHTTPEvents calls the hooks of the attempt's ClientTrace, if it has one,
// as net/http does for an attempt on a new TLS connection or on a reused
// one, and sets the response as aws-sdk-go's send handler does.
func netHTTPEvents(resp *http.Response, conn net.Conn, newConn bool) request.NamedHandler {
	return request.NamedHandler{Name: "bench.NetHTTP", Fn: func(r *request.Request) {
		r.HTTPResponse = resp
		trace := httptrace.ContextClientTrace(r.HTTPRequest.Context())
		if trace == nil {
			return
		}
		trace.GetConn("dynamodb.us-west-2.amazonaws.com:443")
		if newConn {
			trace.DNSStart(httptrace.DNSStartInfo{Host: "dynamodb.us-west-2.amazonaws.com"})
			trace.ConnectStart("tcp", "192.0.2.1:443")
			trace.ConnectDone("tcp", "192.0.2.1:443", nil)
			trace.TLSHandshakeStart()
			trace.TLSHandshakeDone(tls.ConnectionState{}, nil)
		}
		trace.GotConn(httptrace.GotConnInfo{Conn: conn, Reused: !newConn})
	}}
}

// BenchmarkTimedAttempt measures what reporting adds to a call of one
// attempt, as BenchmarkHandlers does, with the send in between: the
// original package's handlers (reporter=aws-sdk-go), this package's
// untimed (timing=off), and timed on a new connection (timing=new-conn) and
// on a reused one (timing=reused), with net/http's trace events fired as it
// fires them. The queue is drained every 256 calls with the timer stopped,
// and the original's every 32 calls (its channel holds 100 metrics), so
// that nothing is dropped: dropped/op says so.
func BenchmarkTimedAttempt(b *testing.B) {
	reporttest.IsolateEnv(b)
	originalSink := reporttest.NewSink(b)
	original := startOriginal(b, originalSink.Addr())
	sink := reporttest.NewSink(b)
	ours, err := csm.Start("bench", sink.Addr())
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	b.Cleanup(func() { ours.SetHTTPTiming(false) })

	// A real connection, for the remote address GotConn reads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { _ = ln.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })

	modes := []struct {
		name    string
		timed   bool
		newConn bool
	}{
		{"reporter=aws-sdk-go", false, false},
		{"reporter=csm-go/timing=off", false, false},
		{"reporter=csm-go/timing=new-conn", true, true},
		{"reporter=csm-go/timing=reused", true, false},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			var resp *http.Response
			inject := injectFunc(func(h *request.Handlers) {
				h.Send.PushBackNamed(netHTTPEvents(resp, conn, mode.newConn))
				if mode.name == "reporter=aws-sdk-go" {
					original.InjectHandlers(h)
					return
				}
				ours.SetHTTPTiming(mode.timed)
				ours.InjectHandlers(h)
			})
			replay := newReplay(b, inject, stubResponse{
				Status: 200, Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
			})
			resp = replay.req.HTTPResponse
			// The handler was made before the response existed.
			replay.handlers.Send.Swap("bench.NetHTTP", netHTTPEvents(resp, conn, mode.newConn))

			calls := 0
			var drain func()
			every := 256
			if mode.name == "reporter=aws-sdk-go" {
				every = 32
				drain = func() { waitForSink(originalSink, 2*calls) }
			} else {
				drain = func() { require.NoError(b, ours.Flush(context.Background())) }
			}
			// Warm up, and drain what that queued.
			for i := 0; i < 1000; i++ {
				replay.handlers.Sign.Run(replay.req)
				replay.handlers.Send.Run(replay.req)
				replay.handlers.CompleteAttempt.Run(replay.req)
				replay.handlers.Complete.Run(replay.req)
				if i%32 == 31 {
					time.Sleep(time.Millisecond) // the original's channel holds 100 metrics
				}
			}
			require.NoError(b, ours.Flush(context.Background()))
			time.Sleep(10 * time.Millisecond)
			originalSink.Reset()
			before := ours.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				calls = i + 1
				replay.handlers.Sign.Run(replay.req)
				replay.handlers.Send.Run(replay.req)
				replay.handlers.CompleteAttempt.Run(replay.req)
				replay.handlers.Complete.Run(replay.req)
				if i%every == every-1 {
					b.StopTimer()
					drain()
					b.StartTimer()
				}
			}
			b.StopTimer()
			drain()
			if mode.name == "reporter=aws-sdk-go" {
				b.ReportMetric(float64(2*b.N-originalSink.Len())/float64(b.N), "dropped/op")
				return
			}
			after := ours.Stats()
			b.ReportMetric(float64(after.DroppedFull-before.DroppedFull)/float64(b.N), "dropped/op")
		})
	}
}

// waitForSink waits until the sink has received want datagrams, or for a
// second, after which dropped/op shows what is missing.
func waitForSink(sink *reporttest.Agent, want int) {
	deadline := time.Now().Add(time.Second)
	for sink.Len() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Microsecond)
	}
}
