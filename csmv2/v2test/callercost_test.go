package v2test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
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
	"github.com/opencsm/csm-go/report"
	"github.com/opencsm/csm-go/report/reporttest"
)

// callerCostBatch is how many calls a batch of BenchmarkCallerCost makes
// before the timer stops and the agent receives everything. Its two
// datagrams per call fit in the original reporter's channel, of 100
// metrics, so neither reporter drops.
const callerCostBatch = 50

// BenchmarkCallerCost measures what reporting adds to the calling
// goroutine for one API call of one attempt, on the path where nothing is
// dropped, for the original aws-sdk-go v1 aws/csm package and for csmv2:
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
// until a UDP agent on 127.0.0.1, read by a goroutine of this process, has
// received every datagram (for v2-none, for 100 µs). The benchmark reports
// dropped/op, what the agent did not receive, and fails if anything was
// dropped. Besides ns/op it reports cpu-ns/op, the calling thread's CPU
// time, where it can read it (Linux): wall-clock time on a loaded machine
// also counts the time the thread waited for a core.
func BenchmarkCallerCost(b *testing.B) {
	v1Agent, v2Agent := newCountingAgent(b), newCountingAgent(b)
	original := startOriginal(b, v1Agent.addr())
	rep, err := csmv2.Start(testClientID, v2Agent.addr())
	require.NoError(b, err)
	b.Cleanup(report.ResetForTest)

	captured := captureV2Call(b, rep)
	v2Agent.expected.Add(2) // the captured call's
	impls := []*callerCostImpl{
		{name: "aws-sdk-go", call: newV1Replay(b, original), agent: v1Agent},
		{name: "v2-none", call: newV2PairRun(b, captured, nil)},
		{name: "csmv2", call: newV2PairRun(b, captured, rep), agent: v2Agent, rep: rep},
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
	name     string
	call     func()
	agent    *countingAgent  // nil for no reporter
	rep      *csmv2.Reporter // the reporter whose queue drops are counted, if any
	stats    csmv2.Stats     // rep's at reset
	calls    int             // calls timed
	wall     time.Duration   // their wall-clock time
	cpu      time.Duration   // the calling thread's CPU time for cpuCalls of them
	cpuCalls int
}

// reset waits until the agent has received everything sent so far and
// clears the measurements.
func (impl *callerCostImpl) reset(b *testing.B) {
	if impl.agent != nil {
		impl.agent.waitFor(b, impl.agent.expected.Load())
	}
	impl.stats = impl.rep.Stats()
	impl.calls, impl.wall, impl.cpu, impl.cpuCalls = 0, 0, 0, 0
}

// batch makes n calls, timed, then stops the timer until the agent has
// received their datagrams. Every implementation pauses the same way
// between batches, so that what runs then (the sender, the garbage
// collector) is charged alike. A batch whose goroutine moved to another
// thread is left out of the CPU time.
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
	b.StopTimer()
	if impl.agent != nil {
		impl.agent.expected.Add(2 * int64(n))
		impl.agent.waitFor(b, impl.agent.expected.Load())
	} else {
		time.Sleep(100 * time.Microsecond)
	}
	b.StartTimer()
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

// reportDrops reports what the agent did not receive, per call, as unit,
// and fails the benchmark if anything was dropped.
func (impl *callerCostImpl) reportDrops(b *testing.B, unit string) {
	var missing int64
	if impl.agent != nil {
		missing = impl.agent.expected.Load() - impl.agent.received.Load()
	}
	full := impl.rep.Stats().DroppedFull - impl.stats.DroppedFull
	b.ReportMetric(float64(missing)/float64(impl.calls), unit)
	if missing != 0 || full != 0 {
		b.Fatalf("%s: %d datagrams did not reach the agent (%d dropped by a full queue): not a no-drop figure", impl.name, missing, full)
	}
}

// countingAgent is a UDP socket on 127.0.0.1 whose datagrams a goroutine
// counts.
type countingAgent struct {
	conn     *net.UDPConn
	received atomic.Int64
	expected atomic.Int64
}

func newCountingAgent(b *testing.B) *countingAgent {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	_ = conn.SetReadBuffer(4 << 20)
	a := &countingAgent{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
			a.received.Add(1)
		}
	}()
	b.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return a
}

func (a *countingAgent) addr() string { return a.conn.LocalAddr().String() }

// waitFor waits until the agent has received n datagrams, for at most 5 s:
// what is missing then is counted as dropped.
func (a *countingAgent) waitFor(b *testing.B, n int64) {
	deadline := time.Now().Add(5 * time.Second)
	for a.received.Load() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Microsecond)
	}
}

// startOriginal starts aws-sdk-go's own reporter towards addr. It is
// process-wide and cannot be moved once started: run the benchmarks alone
// (-run '^$').
func startOriginal(b *testing.B, addr string) *awscsm.Reporter {
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

	canned := deserializeFunc(func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
		return middleware.DeserializeOutput{RawResponse: c.resp}, middleware.Metadata{}, nil
	})
	sent := finalizeFunc(func(ctx context.Context, _ middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
		_, md, err := raw.HandleDeserialize(ctx, middleware.DeserializeInput{}, canned)
		return middleware.FinalizeOutput{}, md, err
	})
	var inner middleware.FinalizeHandler = sent
	if attempt != nil {
		inner = finalizeFunc(func(ctx context.Context, in middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
			return attempt.HandleFinalize(ctx, in, sent)
		})
	}
	retrier := retry.NewAttemptMiddleware(retry.NewStandard(), smithyhttp.RequestCloner)
	attempts := initializeFunc(func(context.Context, middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
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

type deserializeFunc func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error)

func (f deserializeFunc) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return f(ctx, in)
}

type finalizeFunc func(context.Context, middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error)

func (f finalizeFunc) HandleFinalize(ctx context.Context, in middleware.FinalizeInput) (middleware.FinalizeOutput, middleware.Metadata, error) {
	return f(ctx, in)
}

type initializeFunc func(context.Context, middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error)

func (f initializeFunc) HandleInitialize(ctx context.Context, in middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
	return f(ctx, in)
}
