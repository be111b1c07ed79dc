package v2test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// stubTransport answers every request with a canned ListTables response,
// without a network, so that a benchmark measures the caller's side.
type stubTransport struct{}

const listTablesBody = `{"TableNames":["a","b"]}`

func (stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"BENCHREQ"}},
		Body:          io.NopCloser(strings.NewReader(listTablesBody)),
		ContentLength: int64(len(listTablesBody)),
		Request:       req,
	}, nil
}

// benchModes are the sub-benchmarks: without the middleware, with it, and
// with it on a paused reporter.
var benchModes = []string{"off", "on", "paused"}

// startBenchReporter starts the process's reporter towards a UDP socket on
// 127.0.0.1 that nobody reads, as package csm's benchmarks do: the kernel
// takes the datagrams and drops what overflows its buffer, and no agent
// competes with the benchmark for the machine's cores. It is stopped when b
// ends.
func startBenchReporter(b *testing.B) *csmv2.Reporter {
	b.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	rep, err := csmv2.Start(testClientID, conn.LocalAddr().String())
	require.NoError(b, err)
	b.Cleanup(resetReporter)
	return rep
}

// runNoDrop runs call b.N times, in batches that fit in the reporter's
// queue with the timer stopped between them until rep has written what
// they queued, and reports the metrics dropped per operation: a benchmark
// that runs calls back to back can outpace the sender, and a dropped metric
// costs the caller less than a queued one, so the benchmark fails if any
// is. Without a reporter it pauses between batches all the same.
func runNoDrop(b *testing.B, rep *csmv2.Reporter, call func() error) {
	b.Helper()
	const batch = 50
	before := rep.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		for i := 0; i < batch && done+i < b.N; i++ {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		require.NoError(b, rep.Flush(context.Background()))
		b.StartTimer()
	}
	b.StopTimer()
	dropped := rep.Stats().DroppedFull - before.DroppedFull
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
	if dropped != 0 {
		b.Fatalf("%d metrics dropped by a full queue: not a no-drop figure", dropped)
	}
}

// BenchmarkV2Call is a whole DynamoDB ListTables call of a real
// aws-sdk-go-v2 client whose HTTP client is stubbed: csm=off without the
// middleware, csm=on with it (the agent is a real UDP socket that counts
// the datagrams), csm=paused with it on a paused reporter.
func BenchmarkV2Call(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("csm="+mode, func(b *testing.B) {
			cfg := aws.Config{
				Region:       testRegion,
				Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
				BaseEndpoint: aws.String("http://127.0.0.1:1"),
				HTTPClient:   &http.Client{Transport: stubTransport{}},
				Retryer:      fastRetryer,
			}
			var rep *csmv2.Reporter
			if mode != "off" {
				rep = startBenchReporter(b)
				cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
				if mode == "paused" {
					rep.Pause()
				}
			}
			client := dynamodb.NewFromConfig(cfg)
			ctx := context.Background()
			input := &dynamodb.ListTablesInput{}
			_, err := client.ListTables(ctx, input)
			require.NoError(b, err)

			runNoDrop(b, rep, func() error {
				_, err := client.ListTables(ctx, input)
				return err
			})
		})
	}
}

// passMiddleware stands for one of the SDK's Finalize middleware that CSM
// looks for or places itself next to.
type passMiddleware string

func (m passMiddleware) ID() string { return string(m) }

func (passMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	return next.HandleFinalize(ctx, in)
}

// signMiddleware sets what the SDK's signing sets: the headers the attempt
// middleware reads.
type signMiddleware struct{}

func (signMiddleware) ID() string { return "Signing" }

func (signMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	req := in.Request.(*smithyhttp.Request)
	req.Header["Authorization"] = benchAuthorization
	req.Header["User-Agent"] = benchUserAgent
	return next.HandleFinalize(ctx, in)
}

var (
	benchAuthorization = []string{"AWS4-HMAC-SHA256 Credential=" + testAccessKey + "/20260101/us-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"}
	benchUserAgent     = []string{"aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.74.0 m/E"}
	benchURL           = &url.URL{Scheme: "https", Host: "dynamodb.us-west-2.amazonaws.com", Path: "/"}
)

// cannedResponse is the terminal handler of the minimal stack: the raw
// response of a successful attempt.
type cannedResponse struct{ resp *smithyhttp.Response }

func (h cannedResponse) Handle(ctx context.Context, input interface{}) (interface{}, middleware.Metadata, error) {
	return h.resp, middleware.Metadata{}, nil
}

// BenchmarkV2CallMiddleware runs a minimal stack, the parts of an SDK
// stack that the CSM middleware touch and nothing else: a "Retry"
// placeholder, signing headers, a canned raw response. The difference
// between csm=off and csm=on is the cost of the middleware pair on a call of
// one attempt.
func BenchmarkV2CallMiddleware(b *testing.B) {
	for _, mode := range benchModes {
		b.Run("csm="+mode, func(b *testing.B) {
			stack := middleware.NewStack("ListTables", func() interface{} {
				return &smithyhttp.Request{Request: &http.Request{URL: benchURL, Header: make(http.Header, 2)}}
			})
			require.NoError(b, stack.Finalize.Add(passMiddleware("Retry"), middleware.After))
			require.NoError(b, stack.Finalize.Add(signMiddleware{}, middleware.After))
			require.NoError(b, awsmiddleware.AddRawResponseToMetadata(stack))
			var rep *csmv2.Reporter
			if mode != "off" {
				rep = startBenchReporter(b)
				require.NoError(b, rep.AddMiddleware(stack))
				_, ok := stack.Finalize.Get(csmv2.AttemptMiddlewareID)
				require.True(b, ok, "the middleware is on the stack")
				if mode == "paused" {
					rep.Pause()
				}
			}
			handler := middleware.DecorateHandler(cannedResponse{resp: &smithyhttp.Response{Response: &http.Response{
				StatusCode: 200,
				Header:     http.Header{"X-Amzn-Requestid": {"BENCHREQ"}},
			}}}, stack)

			ctx := middleware.ClearStackValues(context.Background())
			ctx = awsmiddleware.SetServiceID(ctx, "DynamoDB")
			ctx = awsmiddleware.SetOperationName(ctx, "ListTables")
			ctx = awsmiddleware.SetRegion(ctx, testRegion)
			_, _, err := handler.Handle(ctx, struct{}{})
			require.NoError(b, err)

			runNoDrop(b, rep, func() error {
				_, _, err := handler.Handle(ctx, struct{}{})
				return err
			})
		})
	}
}
