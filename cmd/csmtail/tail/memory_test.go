package tail

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heapInUse returns the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// seriesDatagram returns a datagram of an ApiCall and an ApiCallAttempt,
// with HTTP timing and an exception, of the new Service/Api pair k: the
// most an admitted series holds. The exception, client, region and SDK
// come from sets smaller than their own limits.
func seriesDatagram(k int) []byte {
	return []byte(fmt.Sprintf(`[{"Type":"ApiCall","Service":"service%06d","Api":"Operation%06d","FinalHttpStatusCode":503,"FinalAwsException":"Exception%02d","Latency":%d,"AttemptCount":2,"MaxRetriesExceeded":1,"ClientId":"client%02d","Region":"region%02d","UserAgent":"sdk%02d/1.0"},`+
		`{"Type":"ApiCallAttempt","Service":"service%06d","Api":"Operation%06d","HttpStatusCode":503,"AwsException":"Exception%02d","AttemptLatency":%d,"ConnectionReused":%d,"DnsLatency":1,"TcpLatency":2,"SslLatency":3,"ConnectLatency":4,"AcquireConnectionLatency":5,"RequestLatency":6}]`,
		k, k, k%50, k%997, k%50, k%40, k%15, k, k, k%50, k%991, k%2))
}

// TestMemoryPerSeries admits as many series as --max-series allows, each
// as costly as a series can be (a pair, an outcome and a row, calls and
// attempts with every timing phase, both connection states), and measures
// the heap they hold, with a /metrics scrape's in progress: the memory per
// admitted series that docs/csmtail.md gives, and that keeps csmtail under
// its bound at the largest --max-series.
func TestMemoryPerSeries(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: admits thousands of series")
	}
	const n = 4000
	before := heapInUse()
	h := startHarness(t, nil, options{maxSeries: n})
	at := time.Unix(1700000000, 0)
	for k := 0; k < n; k += 100 {
		batch := make([][]byte, 100)
		for i := range batch {
			batch[i] = seriesDatagram(k + i)
		}
		h.feed(at, batch...)
		waitUntil(t, func() bool { return h.pipe.sinks[0].holding() == 0 && h.pipe.sinks[1].holding() == 0 }, "sinks caught up")
	}
	h.stop(t)
	c := h.stats.snapshot()
	require.Equal(t, uint64(2*n), c.calls+c.attempts)
	require.Zero(t, c.folded, "every series admitted")
	held := heapInUse()
	families, err := h.reg.Gather() // a scrape, held while measured
	require.NoError(t, err)
	scraping := heapInUse()
	runtime.KeepAlive(families)
	perSeries := float64(held-before) / n
	perSeriesScraping := float64(scraping-before) / n
	t.Logf("%d series: %.1f KiB each held, %.1f KiB each during a scrape", n, perSeries/1024, perSeriesScraping/1024)
	// The largest --max-series, at this cost, with the sinks' queues full
	// (sinkQueueCost each) and the receive buffers, stays under the
	// runtime's memory limit (main.go), which leaves 32 MiB of 256 MiB
	// for the rest of the process.
	const limit = 224 << 20
	total := float64(maxMaxSeries)*perSeriesScraping + 3*sinkQueueCost + 4<<20
	t.Logf("--max-series %d: about %.0f MiB", maxMaxSeries, total/(1<<20))
	assert.Less(t, total, float64(limit), "the largest --max-series keeps csmtail's heap under the memory limit")
}
