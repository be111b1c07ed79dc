package report

import "testing"

// BenchmarkEncodeMetric measures encoding a typical attempt metric by hand.
func BenchmarkEncodeMetric(b *testing.B) {
	m := testMetrics()["attempt"]
	buf := make([]byte, 0, maxDatagramSize)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		mm := m
		buf = encodeMetric(buf[:0], &mm)
	}
	b.SetBytes(int64(len(buf)))
}
