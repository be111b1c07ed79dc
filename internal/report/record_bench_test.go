package report

import "testing"

// BenchmarkRecordPut measures what the API call's goroutine does to queue a
// metric, without the queue's lock: cut its strings, size its record and
// write it.
func BenchmarkRecordPut(b *testing.B) {
	for _, name := range []string{"attempt", "timed attempt", "call"} {
		m := testMetrics()[name]
		buf := make([]byte, maxRecordSize)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				mm := m
				mm.putRecord(buf[:mm.recordSize()])
			}
		})
	}
}

// BenchmarkRecordEncode measures what the sender does for each metric: read
// its record and encode the datagram.
func BenchmarkRecordEncode(b *testing.B) {
	for _, name := range []string{"attempt", "timed attempt", "call"} {
		m := testMetrics()[name]
		rec := make([]byte, m.recordSize())
		m.putRecord(rec)
		buf := make([]byte, 0, maxDatagramSize)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var got Metric
			for i := 0; i < b.N; i++ {
				readRecord(rec, &got)
				buf = encodeMetric(buf[:0], &got)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
