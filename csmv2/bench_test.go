package csmv2

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report"
)

// BenchmarkMiddleware measures only what the CSM middleware add to an API
// call of one attempt, as package csm's BenchmarkHandlers does for its
// handlers: the call middleware around aws-sdk-go-v2's retry middleware
// around the attempt middleware around a canned, signed, successful
// attempt, called directly rather than through a stack (see newPairRun).
// reporter=none is the retry middleware and the canned attempt alone. The
// reporter sends to a socket on 127.0.0.1 that nobody reads.
//
// Calls run in batches that fit in the queue, the timer stopped between
// them until the queue is flushed: the figure is that of the path where
// nothing is dropped, and the benchmark fails if anything is. The context
// here is a small one; csmv2/v2test's BenchmarkCallerCost runs the
// middleware on contexts captured from a real client.
func BenchmarkMiddleware(b *testing.B) {
	const batch = 50
	for _, mode := range pairModes {
		b.Run("reporter="+mode, func(b *testing.B) {
			run, rep := newPairRun(b, mode)
			var before report.Stats
			if rep != nil {
				before = rep.Stats()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				for i := 0; i < batch && done+i < b.N; i++ {
					run()
				}
				// Without a reporter it pauses all the same, so that
				// what runs meanwhile (the garbage collector) is
				// charged alike.
				b.StopTimer()
				if rep != nil {
					require.NoError(b, rep.Flush(context.Background()))
				} else {
					time.Sleep(100 * time.Microsecond)
				}
				b.StartTimer()
			}
			b.StopTimer()
			var dropped uint64
			if rep != nil {
				dropped = rep.Stats().DroppedFull - before.DroppedFull
			}
			b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
			if dropped != 0 {
				b.Fatalf("%d metrics dropped by a full queue: not a no-drop figure", dropped)
			}
		})
	}
}

// pairModes are newPairRun's modes: without the middleware, with them, and
// with them on a paused reporter.
var pairModes = []string{"none", "on", "paused"}

// newPairRun returns a function that runs one API call of one attempt
// through aws-sdk-go-v2's retry middleware, with the CSM middleware pair
// around and inside it unless mode is "none". For "on" and "paused" it
// starts the process's reporter towards a socket nobody reads, and returns
// it too.
func newPairRun(tb testing.TB, mode string) (func(), *report.Reporter) {
	var (
		call    *callMiddleware
		attempt *attemptMiddleware
		rep     *report.Reporter
	)
	if mode != "none" {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = conn.Close() })
		r, err := report.Start("bench", conn.LocalAddr().String(), 4096) // the default MetricsChannelSize
		require.NoError(tb, err)
		tb.Cleanup(ResetForTest)
		if mode == "paused" {
			r.Pause()
		}
		call, attempt, rep = &callMiddleware{rep: r}, &attemptMiddleware{rep: r}, r
	}

	req := &smithyhttp.Request{Request: &http.Request{
		URL: &url.URL{Scheme: "https", Host: "dynamodb.us-west-2.amazonaws.com", Path: "/"},
		Header: http.Header{
			"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"},
			"User-Agent":    {"aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/dynamodb#1.74.0 m/E"},
		},
	}}
	resp := &smithyhttp.Response{Response: &http.Response{
		StatusCode: 200,
		Header:     http.Header{"X-Amzn-Requestid": {"BENCHREQ"}},
	}}
	// The canned attempt returns fresh metadata holding the raw response,
	// through aws-sdk-go-v2's AddRawResponseToMetadata middleware.
	raw := rawResponseMiddleware(tb)
	canned := middleware.DeserializeHandlerFunc(func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
		return middleware.DeserializeOutput{RawResponse: resp}, middleware.Metadata{}, nil
	})
	sent := middleware.FinalizeHandlerFunc(func(ctx context.Context, _ middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
		_, md, err := raw.HandleDeserialize(ctx, middleware.DeserializeInput{}, canned)
		return middleware.FinalizeOutput{}, md, err
	})
	var inner middleware.FinalizeHandler = sent
	if attempt != nil {
		inner = middleware.FinalizeHandlerFunc(func(ctx context.Context, in middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
			return attempt.HandleFinalize(ctx, in, sent)
		})
	}
	retrier := retry.NewAttemptMiddleware(retry.NewStandard(), smithyhttp.RequestCloner)
	attempts := middleware.InitializeHandlerFunc(func(ctx context.Context, _ middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
		_, md, err := retrier.HandleFinalize(ctx, middleware.FinalizeInput{Request: req}, inner)
		return middleware.InitializeOutput{}, md, err
	})

	ctx := middleware.ClearStackValues(context.Background())
	ctx = awsmiddleware.SetServiceID(ctx, "DynamoDB")
	ctx = middleware.WithStackValue(ctx, benchKey("pad1"), 1)
	ctx = middleware.WithStackValue(ctx, benchKey("pad2"), 2)
	return func() {
		var err error
		if call != nil {
			_, _, err = call.HandleInitialize(ctx, middleware.InitializeInput{}, attempts)
		} else {
			_, _, err = attempts.HandleInitialize(ctx, middleware.InitializeInput{})
		}
		if err != nil {
			tb.Fatal(err)
		}
	}, rep
}

type benchKey string

// rawResponseMiddleware returns aws-sdk-go-v2's AddRawResponseToMetadata
// middleware.
func rawResponseMiddleware(tb testing.TB) middleware.DeserializeMiddleware {
	stack := middleware.NewStack("Bench", smithyhttp.NewStackRequest)
	require.NoError(tb, awsmiddleware.AddRawResponseToMetadata(stack))
	m, ok := stack.Deserialize.Get("AddRawResponseToMetadata")
	require.True(tb, ok)
	return m
}

// BenchmarkAddMiddleware measures installing the middleware, which
// aws-sdk-go-v2 does for every operation (its APIOptions run on each new
// stack): a stack of the IDs AddMiddleware looks for, with and without it.
func BenchmarkAddMiddleware(b *testing.B) {
	rep := &Reporter{call: &callMiddleware{}, attempt: &attemptMiddleware{}}
	for _, add := range []bool{false, true} {
		name := "middleware=none"
		if add {
			name = "middleware=csm"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				stack := middleware.NewStack("Bench", smithyhttp.NewStackRequest)
				_ = stack.Initialize.Add(benchInitialize("OperationInputValidation"), middleware.After)
				_ = stack.Finalize.Add(benchFinalize("Retry"), middleware.After)
				_ = stack.Finalize.Add(benchFinalize("Signing"), middleware.After)
				if add {
					if err := rep.AddMiddleware(stack); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

type benchInitialize string

func (m benchInitialize) ID() string { return string(m) }

func (benchInitialize) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	return next.HandleInitialize(ctx, in)
}

type benchFinalize string

func (m benchFinalize) ID() string { return string(m) }

func (benchFinalize) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	return next.HandleFinalize(ctx, in)
}
