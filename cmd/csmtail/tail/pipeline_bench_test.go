package tail

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// benchDatagrams are typical ApiCall datagrams of about 311 bytes, one per
// API, as the csmtailbench sender writes them.
func benchDatagrams() [][]byte {
	apis := [][2]string{
		{"DynamoDB", "GetItem"}, {"DynamoDB", "PutItem"}, {"DynamoDB", "Query"}, {"S3", "GetObject"},
		{"S3", "PutObject"}, {"SQS", "SendMessage"}, {"SQS", "ReceiveMessage"}, {"STS", "GetCallerIdentity"},
	}
	var out [][]byte
	for _, a := range apis {
		out = append(out, []byte(fmt.Sprintf(`{"ClientId":"bench","Api":%q,"Service":%q,"Timestamp":1700000000000,"Type":"ApiCall","AttemptCount":1,"Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24.0; linux; amd64)","FinalHttpStatusCode":200,"Latency":12,"MaxRetriesExceeded":0,"Version":1,"Fqdn":"%s.us-west-2.amazonaws.com"}`,
			a[1], a[0], strings.ToLower(a[0]))))
	}
	return out
}

// BenchmarkPipeline hands batches of 32 datagrams to csmtail's pipeline
// with its three sinks (the lines to io.Discard), as the receive loop
// does, and reports the process's CPU time per datagram, the sinks'
// goroutines included.
func BenchmarkPipeline(b *testing.B) {
	for _, format := range []lineFormat{linesPlain, linesJSON} {
		name := map[lineFormat]string{linesPlain: "plain", linesJSON: "json"}[format]
		b.Run(name, func(b *testing.B) {
			stats := &receiveStats{}
			pipe := newPipeline(newAdmitter(defaultDims(), defaultMaxSeries), stats, format == linesJSON, false)
			agg := newAggregator()
			pipe.add("view", agg)
			reg := newRegistry(newReceiveCollector(stats, pipe, defaultMaxSeries))
			pipe.add("prometheus", newPromSink(reg))
			pipe.add("lines", newLinesSink(format, io.Discard, nil, time.UTC))
			pipe.start(time.Second)
			ds := benchDatagrams()
			batch := make([]ingest.Packet, 32)
			from := netip.MustParseAddrPort("127.0.0.1:5555")
			var r0 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			b.ResetTimer()
			for i := 0; i < b.N; i += len(batch) {
				for j := range batch {
					batch[j] = ingest.Packet{Data: ds[(i+j)%len(ds)], From: from}
				}
				pipe.handleBatch(batch, time.Now())
				// Pace to the sinks, so that none misses any.
				for _, r := range pipe.sinks {
					for r.holding() > sinkQueueLen/2 {
						time.Sleep(50 * time.Microsecond)
					}
				}
			}
			pipe.stop()
			b.StopTimer()
			var r1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			cpu := time.Duration(syscall.TimevalToNsec(r1.Utime) + syscall.TimevalToNsec(r1.Stime) - syscall.TimevalToNsec(r0.Utime) - syscall.TimevalToNsec(r0.Stime))
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/datagram")
			for name, n := range pipe.missed() {
				if n != 0 {
					b.Fatalf("%s missed %d", name, n)
				}
			}
		})
	}
}
