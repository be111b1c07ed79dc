package v2test

import (
	"context"
	"net/http"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credentialsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	dynamodbv1 "github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// callerCostBatch is how many calls a batch of BenchmarkCallerCost makes
// before the timer stops and the reporters' queues are drained: 2,000
// metrics, which fit in both reporters' queues (4096 metrics each here), so
// that neither drops.
const callerCostBatch = 1000

// BenchmarkCallerCost measures what reporting adds to the calling
// goroutine for one API call of one attempt when calls come back to back
// (the batched regime: the sender goroutine takes the metrics in batches),
// on the path where nothing is dropped, for the original aws-sdk-go v1
// aws/csm package and for csmv2:
//
//   - impl=aws-sdk-go: the original's ApiCallAttempt and ApiCall handlers
//     run on a DynamoDB ListTables request that a real aws-sdk-go v1
//     client sent through a stubbed transport.
//   - impl=v2-none: aws-sdk-go-v2's retry middleware around a canned
//     attempt, which returns the raw response the real aws-sdk-go-v2
//     DynamoDB client got.
//   - impl=csmv2: the same, with csmv2's middleware pair around and inside
//     the retry middleware. The pair's cost is impl=csmv2 minus
//     impl=v2-none.
//   - impl=interleaved: the three in turn, a batch each, which a busy
//     machine disturbs alike; it reports the pair's cost and its ratio to
//     the original's directly (ns/op is then that of the three calls).
//
// The v2 middleware run on the contexts and the signed request that a real
// aws-sdk-go-v2 DynamoDB client had where csmv2's middleware run (see
// captureV2Call), so that reading the service, operation and region costs
// what it costs on a real stack.
//
// Calls run in batches of callerCostBatch; between batches the timer stops
// until each reporter has written everything to its socket, on 127.0.0.1
// and never read, as in csm's BenchmarkHandlers: no agent competes with the
// benchmark for the machine's cores. The benchmark reports dropped/op, the
// metrics csmv2 dropped or failed to write (the original cannot drop here:
// a batch starts on its empty channel, which holds two batches), and fails
// if anything was. Besides ns/op it reports cpu-ns/op, the calling thread's
// CPU time, where it can read it (Linux): wall-clock time on a loaded
// machine also counts the time the thread waited for a core.
func BenchmarkCallerCost(b *testing.B) {
	reporttest.IsolateEnv(b)
	original := startOriginal(b, reporttest.DeafSocket(b))
	rep, err := csmv2.Start(testClientID, reporttest.DeafSocket(b))
	require.NoError(b, err)
	b.Cleanup(resetReporter)

	captured := captureV2Call(b, rep)
	impls := []*callerCostImpl{
		{name: "aws-sdk-go", call: newV1Replay(b, original), drain: drainOriginal(b, original)},
		{name: "v2-none", call: newV2PairRun(b, captured, nil)},
		{name: "csmv2", call: newV2PairRun(b, captured, rep), rep: rep, drain: func(b *testing.B) {
			require.NoError(b, rep.Flush(context.Background()))
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			impl.reset(b)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += callerCostBatch {
				impl.batch(b, min(callerCostBatch, b.N-done))
			}
			b.StopTimer()
			if cpu, ok := impl.cpuPerCall(); ok {
				b.ReportMetric(cpu, "cpu-ns/op")
			}
			impl.reportDrops(b, "dropped/op")
		})
	}
	b.Run("impl=interleaved", func(b *testing.B) {
		for _, impl := range impls {
			impl.reset(b)
		}
		b.ResetTimer()
		for done := 0; done < b.N; done += callerCostBatch {
			for _, impl := range impls {
				impl.batch(b, min(callerCostBatch, b.N-done))
			}
		}
		b.StopTimer()
		orig, none, v2 := impls[0], impls[1], impls[2]
		b.ReportMetric(orig.wallPerCall(), "aws-sdk-go-ns/op")
		b.ReportMetric(v2.wallPerCall()-none.wallPerCall(), "csmv2-ns/op")
		b.ReportMetric((v2.wallPerCall()-none.wallPerCall())/orig.wallPerCall(), "csmv2/aws-sdk-go")
		origCPU, ok0 := orig.cpuPerCall()
		noneCPU, ok1 := none.cpuPerCall()
		v2CPU, ok2 := v2.cpuPerCall()
		if ok0 && ok1 && ok2 {
			b.ReportMetric(origCPU, "aws-sdk-go-cpu-ns/op")
			b.ReportMetric(v2CPU-noneCPU, "csmv2-cpu-ns/op")
			b.ReportMetric((v2CPU-noneCPU)/origCPU, "csmv2/aws-sdk-go-cpu")
		}
		for _, impl := range impls {
			impl.reportDrops(b, impl.name+"-dropped/op")
		}
	})
}

// callerCostImpl is one of BenchmarkCallerCost's implementations and what
// was measured of it.
type callerCostImpl struct {
	name  string
	call  func()
	drain func(b *testing.B) // waits until everything queued is written; nil for no reporter
	rep   *csmv2.Reporter    // the reporter whose drops are counted, if any
	stats csmv2.Stats        // rep's at reset
	calls int                // calls timed
	wall  time.Duration      // their wall-clock time
	cpu   time.Duration      // the calling thread's CPU time for cpuCalls of them
	// cpuCalls is how many calls cpu is the time of.
	cpuCalls int
}

// reset waits until everything sent so far is written and clears the
// measurements.
func (impl *callerCostImpl) reset(b *testing.B) {
	if impl.drain != nil {
		impl.drain(b)
	}
	impl.stats = impl.rep.Stats()
	impl.calls, impl.wall, impl.cpu, impl.cpuCalls = 0, 0, 0, 0
}

// batch makes n calls, timed, then stops the timer until the reporter has
// written their datagrams. A batch whose goroutine moved to another thread
// is left out of the CPU time.
func (impl *callerCostImpl) batch(b *testing.B, n int) {
	tid0, cpu0, ok0 := reporttest.ThreadCPU()
	start := time.Now()
	for i := 0; i < n; i++ {
		impl.call()
	}
	impl.wall += time.Since(start)
	tid1, cpu1, ok1 := reporttest.ThreadCPU()
	impl.calls += n
	if ok0 && ok1 && tid0 == tid1 {
		impl.cpu += cpu1 - cpu0
		impl.cpuCalls += n
	}
	if impl.drain != nil {
		b.StopTimer()
		impl.drain(b)
		b.StartTimer()
	}
}

func (impl *callerCostImpl) wallPerCall() float64 {
	return float64(impl.wall.Nanoseconds()) / float64(impl.calls)
}

func (impl *callerCostImpl) cpuPerCall() (float64, bool) {
	if impl.cpuCalls == 0 {
		return 0, false
	}
	return float64(impl.cpu.Nanoseconds()) / float64(impl.cpuCalls), true
}

// reportDrops reports what csmv2 dropped or failed to write, per call, as
// unit, and fails the benchmark if anything was.
func (impl *callerCostImpl) reportDrops(b *testing.B, unit string) {
	st := impl.rep.Stats()
	lost := (st.DroppedFull - impl.stats.DroppedFull) + (st.WriteErrors - impl.stats.WriteErrors)
	b.ReportMetric(float64(lost)/float64(impl.calls), unit)
	if lost != 0 {
		b.Fatalf("%s: %d metrics dropped or not written: not a no-drop figure", impl.name, lost)
	}
}

// drainOriginal returns a function that waits until the original
// reporter's channel is empty. The channel is unexported: its length is
// read through reflection.
func drainOriginal(b *testing.B, rep *awscsm.Reporter) func(*testing.B) {
	ch := reflect.ValueOf(rep).Elem().FieldByName("metricsCh").FieldByName("ch")
	require.True(b, ch.IsValid(), "aws-sdk-go's Reporter has no metricsCh.ch")
	require.GreaterOrEqual(b, ch.Cap(), 2*2*callerCostBatch, "the original's channel holds two batches")
	return func(*testing.B) {
		for ch.Len() > 0 {
			runtime.Gosched()
		}
	}
}

// startOriginal starts aws-sdk-go's own reporter towards addr, with a
// channel of the size of csmv2's queue. It is
// process-wide and cannot be moved once started: run the benchmarks alone
// (-run '^$').
func startOriginal(b *testing.B, addr string) *awscsm.Reporter {
	awscsm.MetricsChannelSize = csmv2.MetricsChannelSize
	rep, err := awscsm.Start("bench", addr)
	require.NoError(b, err)
	return rep
}

// newV1Replay sends a DynamoDB ListTables request through a real aws-sdk-go
// v1 client, its transport stubbed, and returns a function that runs the
// original reporter's handlers on it again: what the original package adds
// to a call of one attempt.
func newV1Replay(b *testing.B, original *awscsm.Reporter) func() {
	sess, err := session.NewSession(&awsv1.Config{
		Region:      awsv1.String(testRegion),
		Credentials: credentialsv1.NewStaticCredentials(testAccessKey, testSecretKey, ""),
		Endpoint:    awsv1.String("http://127.0.0.1:1"),
		HTTPClient:  &http.Client{Transport: stubTransport{}},
		MaxRetries:  awsv1.Int(0),
	})
	require.NoError(b, err)
	req, _ := dynamodbv1.New(sess).ListTablesRequest(&dynamodbv1.ListTablesInput{})
	require.NoError(b, req.Send())
	var handlers request.Handlers
	original.InjectHandlers(&handlers)
	require.Equal(b, 1, handlers.CompleteAttempt.Len())
	require.Equal(b, 1, handlers.Complete.Len())
	return func() {
		handlers.CompleteAttempt.Run(req)
		handlers.Complete.Run(req)
	}
}

// capturedV2Call is what a real aws-sdk-go-v2 DynamoDB ListTables call had
// where csmv2's middleware run: the Initialize step's context (the call
// middleware's), the Finalize step's after the retry middleware (the
// attempt middleware's), the attempt's signed request and its raw
// response.
type capturedV2Call struct {
	initCtx, finalizeCtx context.Context
	req                  *smithyhttp.Request
	resp                 *smithyhttp.Response
}

// captureV2Call makes one ListTables call with a real aws-sdk-go-v2
// DynamoDB client, its HTTP client stubbed and csmv2's middleware on its
// stack, and captures what csmv2's middleware saw.
func captureV2Call(b *testing.B, rep *csmv2.Reporter) *capturedV2Call {
	c := &capturedV2Call{}
	cfg := aws.Config{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		HTTPClient:   &http.Client{Transport: stubTransport{}},
		Retryer:      fastRetryer,
	}
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware, func(stack *middleware.Stack) error {
		if err := stack.Initialize.Insert(captureInitialize{c}, csmv2.CallMiddlewareID, middleware.After); err != nil {
			return err
		}
		return stack.Finalize.Insert(captureFinalize{c}, csmv2.AttemptMiddlewareID, middleware.After)
	})
	_, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	require.NoError(b, err)
	require.NotNil(b, c.initCtx, "the Initialize context was captured")
	require.NotNil(b, c.finalizeCtx, "the Finalize context was captured")
	require.NotNil(b, c.resp, "the raw response was captured")
	require.NotEmpty(b, c.req.Header.Get("Authorization"), "the request was signed")
	require.Equal(b, "DynamoDB", awsmiddleware.GetServiceID(c.initCtx))
	require.Equal(b, "ListTables", awsmiddleware.GetOperationName(c.initCtx))
	require.Equal(b, testRegion, awsmiddleware.GetRegion(c.initCtx))
	return c
}

type captureInitialize struct{ c *capturedV2Call }

func (captureInitialize) ID() string { return "CaptureInitialize" }

func (m captureInitialize) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	m.c.initCtx = ctx
	return next.HandleInitialize(ctx, in)
}

type captureFinalize struct{ c *capturedV2Call }

func (captureFinalize) ID() string { return "CaptureFinalize" }

func (m captureFinalize) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	m.c.finalizeCtx = ctx
	m.c.req, _ = in.Request.(*smithyhttp.Request)
	out, md, err := next.HandleFinalize(ctx, in)
	m.c.resp, _ = awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	return out, md, err
}

// newV2PairRun returns a function that runs one call of one attempt
// through aws-sdk-go-v2's retry middleware on the captured contexts, the
// attempt answered with the captured response, with rep's middleware pair
// around and inside the retry middleware, or without them if rep is nil.
func newV2PairRun(b *testing.B, c *capturedV2Call, rep *csmv2.Reporter) func() {
	stack := middleware.NewStack("ListTables", smithyhttp.NewStackRequest)
	require.NoError(b, stack.Finalize.Add(passMiddleware("Retry"), middleware.After))
	require.NoError(b, awsmiddleware.AddRawResponseToMetadata(stack))
	raw, ok := stack.Deserialize.Get("AddRawResponseToMetadata")
	require.True(b, ok)
	var (
		call    middleware.InitializeMiddleware
		attempt middleware.FinalizeMiddleware
	)
	if rep != nil {
		require.NoError(b, rep.AddMiddleware(stack))
		call, ok = stack.Initialize.Get(csmv2.CallMiddlewareID)
		require.True(b, ok)
		attempt, ok = stack.Finalize.Get(csmv2.AttemptMiddlewareID)
		require.True(b, ok)
	}

	canned := middleware.DeserializeHandlerFunc(func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
		return middleware.DeserializeOutput{RawResponse: c.resp}, middleware.Metadata{}, nil
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
	attempts := middleware.InitializeHandlerFunc(func(context.Context, middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
		_, md, err := retrier.HandleFinalize(c.finalizeCtx, middleware.FinalizeInput{Request: c.req}, inner)
		return middleware.InitializeOutput{}, md, err
	})
	return func() {
		var err error
		if call != nil {
			_, _, err = call.HandleInitialize(c.initCtx, middleware.InitializeInput{}, attempts)
		} else {
			_, _, err = attempts.HandleInitialize(c.initCtx, middleware.InitializeInput{})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
