package v2test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// tracedResponse stands for the SDK's HTTP client: it calls the hooks of
// the attempt's ClientTrace, if it has one, as net/http does for an attempt
// on a new TLS connection or on a reused one, and returns a canned raw
// response.
type tracedResponse struct {
	resp    *smithyhttp.Response
	conn    net.Conn
	newConn bool
}

func (h tracedResponse) Handle(ctx context.Context, input interface{}) (interface{}, middleware.Metadata, error) {
	if trace := httptrace.ContextClientTrace(ctx); trace != nil {
		trace.GetConn("dynamodb.us-west-2.amazonaws.com:443")
		if h.newConn {
			trace.DNSStart(httptrace.DNSStartInfo{Host: "dynamodb.us-west-2.amazonaws.com"})
			trace.ConnectStart("tcp", "192.0.2.1:443")
			trace.ConnectDone("tcp", "192.0.2.1:443", nil)
			trace.TLSHandshakeStart()
			trace.TLSHandshakeDone(tls.ConnectionState{}, nil)
		}
		trace.GotConn(httptrace.GotConnInfo{Conn: h.conn, Reused: !h.newConn})
	}
	return h.resp, middleware.Metadata{}, nil
}

// BenchmarkV2TimedAttempt runs BenchmarkV2CallMiddleware's minimal stack
// with the middleware untimed (timing=off) and timed, on a new connection
// (timing=new-conn) and on a reused one (timing=reused), net/http's trace
// events fired as it fires them; csm=off has no middleware. The queue is
// drained every 256 calls with the timer stopped, so that nothing is
// dropped: dropped/op says so.
func BenchmarkV2TimedAttempt(b *testing.B) {
	// A real connection, for the remote address GotConn reads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { _ = ln.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })

	modes := []struct {
		name         string
		on, timed, n bool
	}{
		{"csm=off", false, false, false},
		{"csm=on/timing=off", true, false, false},
		{"csm=on/timing=new-conn", true, true, true},
		{"csm=on/timing=reused", true, true, false},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			stack := middleware.NewStack("ListTables", func() interface{} {
				return &smithyhttp.Request{Request: &http.Request{URL: benchURL, Header: make(http.Header, 2)}}
			})
			require.NoError(b, stack.Finalize.Add(passMiddleware("Retry"), middleware.After))
			require.NoError(b, stack.Finalize.Add(signMiddleware{}, middleware.After))
			require.NoError(b, awsmiddleware.AddRawResponseToMetadata(stack))
			var rep *csmv2.Reporter
			if mode.on {
				rep = startBenchReporter(b)
				rep.SetHTTPTiming(mode.timed)
				b.Cleanup(func() { rep.SetHTTPTiming(false) })
				require.NoError(b, rep.AddMiddleware(stack))
			}
			handler := middleware.DecorateHandler(tracedResponse{resp: &smithyhttp.Response{Response: &http.Response{
				StatusCode: 200,
				Header:     http.Header{"X-Amzn-Requestid": {"BENCHREQ"}},
			}}, conn: conn, newConn: mode.n}, stack)

			ctx := middleware.ClearStackValues(context.Background())
			ctx = awsmiddleware.SetServiceID(ctx, "DynamoDB")
			ctx = awsmiddleware.SetOperationName(ctx, "ListTables")
			ctx = awsmiddleware.SetRegion(ctx, testRegion)
			// Warm up, and drain what that queued.
			for i := 0; i < 1000; i++ {
				_, _, err := handler.Handle(ctx, struct{}{})
				require.NoError(b, err)
			}
			if rep != nil {
				require.NoError(b, rep.Flush(context.Background()))
			}

			before := rep.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := handler.Handle(ctx, struct{}{}); err != nil {
					b.Fatal(err)
				}
				if rep != nil && i%256 == 255 {
					b.StopTimer()
					require.NoError(b, rep.Flush(context.Background()))
					b.StartTimer()
				}
			}
			b.StopTimer()
			if rep != nil {
				require.NoError(b, rep.Flush(context.Background()))
			}
			reportDrops(b, rep, before)
		})
	}
}

// reportDrops reports the metrics dropped per operation since before, and
// fails the benchmark if any was: a figure measured while the queue drops is
// not a cost figure.
func reportDrops(b *testing.B, rep *csmv2.Reporter, before csmv2.Stats) {
	b.Helper()
	if rep == nil {
		return
	}
	dropped := rep.Stats().DroppedFull - before.DroppedFull
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
	if dropped != 0 {
		b.Fatalf("%d metrics dropped by a full queue: not a no-drop figure", dropped)
	}
}
