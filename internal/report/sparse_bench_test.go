package report

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// sparseFloorGap is the pause before each operation of
// BenchmarkSparseFloor, timer stopped: as long as the gap between the calls
// of csm's BenchmarkHandlersSparse, so that the operation starts as cold.
const sparseFloorGap = 10 * time.Millisecond

// BenchmarkSparseFloor measures the two ways a call that comes alone can
// hand over its metrics, each started 10 ms after the last one, as a sparse
// call is:
//
//   - op=send: the sender writes a call's two datagrams (an ApiCallAttempt
//     and an ApiCall, already encoded) with one system call that does not
//     wait, as a call that finds the sender asleep does. Exit safety needs
//     the datagrams in the kernel before the call returns, so this is the
//     floor of such a call's added latency.
//   - op=handoff: a channel send that wakes a goroutine parked on the
//     channel, which is what aws-sdk-go's call pays to hand its metric to
//     its sender goroutine (the write happens later, off the call).
//
// The socket written to is on 127.0.0.1 and never read, as in the
// handler benchmarks. op=send reports the datagrams it did not write as
// drops/op, and fails if there was any; a channel send does not drop.
// Run it with a fixed count, such as -benchtime 300x.
func BenchmarkSparseFloor(b *testing.B) {
	b.Run("op=send", func(b *testing.B) {
		conn, err := net.DialUDP("udp", nil, mustResolve(b, reporttest.DeafSocket(b)))
		require.NoError(b, err)
		defer conn.Close()
		s := newSender(conn)
		require.True(b, s.canSkipWait(), "no batch writer on this platform")
		metrics := testMetrics()
		call, attempt := metrics["call"], metrics["attempt"]
		datagrams := [][]byte{encodeMetric(nil, &attempt), encodeMetric(nil, &call)}
		var unwritten int
		var lastErr error
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			time.Sleep(sparseFloorGap)
			b.StartTimer()
			sent, _, err := s.send(datagrams)
			if sent < len(datagrams) {
				unwritten += len(datagrams) - sent
				lastErr = err
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(unwritten)/float64(b.N), "drops/op")
		if unwritten > 0 {
			b.Fatalf("%d datagrams not written (last error: %v): not the cost of writing them", unwritten, lastErr)
		}
	})
	b.Run("op=handoff", func(b *testing.B) {
		ch := make(chan int, 16) // buffered, as the original's channel is
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range ch {
			}
		}()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			time.Sleep(sparseFloorGap)
			b.StartTimer()
			ch <- i
		}
		b.StopTimer()
		close(ch)
		<-done
	})
}
