package ingest

import "testing"

// benchDatagrams are an ApiCall and an ApiCallAttempt with HTTP timing,
// as csm-go writes them.
var benchDatagrams = [][]byte{[]byte(callJSON), []byte(attemptJSON)}

func BenchmarkParse(b *testing.B) {
	var events []Event
	for _, d := range benchDatagrams {
		b.Run(d2name(d), func(b *testing.B) {
			b.SetBytes(int64(len(d)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				events, _ = Parse(events[:0], d)
			}
		})
	}
}

// BenchmarkParser is BenchmarkParse with a Parser, which keeps names.
func BenchmarkParser(b *testing.B) {
	var events []Event
	var p Parser
	for _, d := range benchDatagrams {
		b.Run(d2name(d), func(b *testing.B) {
			b.SetBytes(int64(len(d)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				events, _ = p.Parse(events[:0], d)
			}
		})
	}
}

// BenchmarkParseEncodingJSON is the same work with encoding/json, the
// parser this one replaced.
func BenchmarkParseEncodingJSON(b *testing.B) {
	for _, d := range benchDatagrams {
		b.Run(d2name(d), func(b *testing.B) {
			b.SetBytes(int64(len(d)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, _ = referenceParse(d)
			}
		})
	}
}

func d2name(d []byte) string {
	if len(d) == len(callJSON) {
		return "call"
	}
	return "attempt"
}
