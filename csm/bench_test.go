package csm_test

import (
	"context"
	"reflect"
	"runtime"
	"testing"
	"time"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// benchBatch is how many calls a batched benchmark makes between two
// drains of the reporters' queues: 2,000 metrics, which fit in both
// reporters' queues (4096 metrics each here), so that no metric is dropped.
const benchBatch = 1000

// benchReporter is a reporter under benchmark, with a way to wait, timer
// stopped, until everything it was given is written.
type benchReporter struct {
	name  string
	rep   injector
	drain func(b *testing.B)
	// dropped returns how many metrics the reporter dropped so far. The
	// original does not count them; its queue cannot drop in these
	// benchmarks (see drainOriginal).
	dropped func() uint64
}

// benchReporters returns the original reporter and ours, plus "none" for an
// uninstrumented baseline. Each sends to a socket of its own on 127.0.0.1
// that nobody reads: the kernel takes the datagrams and drops what overflows
// its buffer, so no agent competes with the benchmark for the machine's
// cores.
//
// The original reporter is process-wide and cannot be moved once started:
// run the benchmarks alone (-run '^$'), or they measure it sending to the
// tests' agent.
func benchReporters(b *testing.B) []benchReporter {
	reporttest.IsolateEnv(b)
	original := startOriginal(b, reporttest.DeafSocket(b))
	ours, err := csm.Start("bench", reporttest.DeafSocket(b))
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	none := func() uint64 { return 0 }
	return []benchReporter{
		{"reporter=none", nil, func(*testing.B) {}, none},
		{"reporter=aws-sdk-go", original, drainOriginal(original), none},
		{"reporter=csm-go", ours, func(b *testing.B) {
			require.NoError(b, ours.Flush(context.Background()))
		}, func() uint64 { return ours.Stats().DroppedFull }},
	}
}

// startOriginal starts aws-sdk-go's reporter towards addr, with a queue of
// the size of ours, or returns the one the tests started.
func startOriginal(b *testing.B, addr string) (rep *awscsm.Reporter) {
	defer func() {
		if recover() != nil {
			rep = awscsm.Get()
		}
	}()
	awscsm.MetricsChannelSize = csm.MetricsChannelSize
	rep, err := awscsm.Start("", addr)
	require.NoError(b, err)
	return rep
}

// drainOriginal returns a function that waits until the original reporter's
// channel is empty. The channel is unexported: its length is read through
// reflection. A batch starting on an empty channel of 4096 metrics cannot
// drop any.
func drainOriginal(rep *awscsm.Reporter) func(*testing.B) {
	ch := reflect.ValueOf(rep).Elem().FieldByName("metricsCh").FieldByName("ch")
	return func(b *testing.B) {
		require.True(b, ch.IsValid(), "aws-sdk-go's Reporter has no metricsCh.ch")
		require.GreaterOrEqual(b, ch.Cap(), 2*benchBatch)
		for ch.Len() > 0 {
			runtime.Gosched()
		}
	}
}

// runBatched runs call b.N times in batches of benchBatch, draining the
// reporter with the timer stopped between batches, and reports the metrics
// dropped per call, failing if any was: a dropped metric costs less than a
// sent one, so a figure with drops is not the reporter's cost. Besides
// ns/op it reports cpu-ns/op, the calling thread's CPU time per call, where
// it can be read (Linux): on a busy machine wall-clock time also counts the
// time the thread waited for a core.
func runBatched(b *testing.B, r benchReporter, call func()) {
	r.drain(b)
	before := r.dropped()
	var cpu batchCPU
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBatch {
		if done > 0 {
			b.StopTimer()
			r.drain(b)
			b.StartTimer()
		}
		n := benchBatch
		if b.N-done < n {
			n = b.N - done
		}
		cpu.start()
		for i := 0; i < n; i++ {
			call()
		}
		cpu.stop(n)
	}
	b.StopTimer()
	cpu.report(b)
	r.drain(b)
	dropped := r.dropped() - before
	b.ReportMetric(float64(dropped)/float64(b.N), "drops/op")
	if dropped > 0 {
		b.Fatalf("%d metrics dropped: this is not the cost of sending them", dropped)
	}
}

// batchCPU sums the calling thread's CPU time over batches of calls, leaving
// out a batch whose goroutine moved to another thread.
type batchCPU struct {
	tid      int
	at       time.Duration
	ok       bool
	cpu      time.Duration
	cpuCalls int
}

func (c *batchCPU) start() { c.tid, c.at, c.ok = reporttest.ThreadCPU() }

func (c *batchCPU) stop(calls int) {
	tid, at, ok := reporttest.ThreadCPU()
	if ok && c.ok && tid == c.tid {
		c.cpu += at - c.at
		c.cpuCalls += calls
	}
}

// report reports cpu-ns/op, if the thread's CPU time could be read.
func (c *batchCPU) report(b *testing.B) {
	if c.cpuCalls > 0 {
		b.ReportMetric(float64(c.cpu.Nanoseconds())/float64(c.cpuCalls), "cpu-ns/op")
	}
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
			runBatched(b, r, func() {
				if err := callOperation(c, "Bench"); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkHandlers measures only what the CSM handlers add to an API call
// when calls come back to back from one goroutine: one ApiCallAttempt and
// one ApiCall metric built from a completed request and queued, for csm-go
// the handler that prepares each attempt and the call's own write of its
// two datagrams, for aws-sdk-go the hand-off to its goroutine. Nothing is dropped: the queues are drained
// between batches of calls, timer stopped.
func BenchmarkHandlers(b *testing.B) {
	for _, r := range benchReporters(b)[1:] {
		b.Run(r.name, func(b *testing.B) {
			replay := newReplay(b, r.rep, stubResponse{
				Status: 200, Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
			})
			runBatched(b, r, replay.call)
		})
	}
}

// sparseGap is the pause between the calls of BenchmarkHandlersSparse: long
// enough for the system's caches to cool.
const sparseGap = 10 * time.Millisecond

// BenchmarkHandlersSparse measures what the handlers add to a call that
// comes alone (the sparse regime), timer stopped between calls: for csm-go,
// the call writes its own two datagrams with one system call; for
// aws-sdk-go, the call wakes its sender goroutine. Run it with a fixed
// count, such as -benchtime 400x.
func BenchmarkHandlersSparse(b *testing.B) {
	for _, r := range benchReporters(b)[1:] {
		b.Run(r.name, func(b *testing.B) {
			replay := newReplay(b, r.rep, stubResponse{
				Status: 200, Headers: map[string]string{"x-amz-request-id": "REQUESTID", "x-amz-id-2": "ID2"},
			})
			before := r.dropped()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r.drain(b)
				time.Sleep(sparseGap)
				b.StartTimer()
				replay.call()
			}
			b.StopTimer()
			b.ReportMetric(float64(r.dropped()-before)/float64(b.N), "drops/op")
		})
	}
}

// BenchmarkHandlersPaused measures the handlers of a paused reporter: an
// atomic load in each, and the count of the two metrics not produced.
func BenchmarkHandlersPaused(b *testing.B) {
	reporttest.IsolateEnv(b)
	rep, err := csm.Start("bench", reporttest.DeafSocket(b))
	require.NoError(b, err)
	b.Cleanup(csm.ResetForTest)
	rep.Pause()
	replay := newReplay(b, rep)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		replay.call()
	}
	b.ReportMetric(0, "drops/op") // paused: nothing produced, nothing to drop
}
