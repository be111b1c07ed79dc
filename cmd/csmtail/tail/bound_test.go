package tail

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented bounds at the default --max-series (docs/csmtail.md):
// every csm_ metric family has at most maxSeries+1 label sets per
// dimension it adds (phase: 6, reused: 2), and the heap stays under
// hostileHeapLimit.
const hostileHeapLimit = 64 << 20

// hostileDatagrams returns datagrams of 100 events each, every event with
// names no earlier event had: new services, APIs, status codes, exception
// codes, clients, regions and SDKs.
func hostileDatagrams(n int, seed int64) [][]byte {
	rng := rand.New(rand.NewSource(seed))
	var out [][]byte
	for d := 0; d < n; d++ {
		var objs []string
		for i := 0; i < 100; i++ {
			k := d*100 + i
			typ, status := "ApiCall", "FinalHttpStatusCode"
			exc := "FinalAwsException"
			if rng.Intn(2) == 0 {
				typ, status, exc = "ApiCallAttempt", "HttpStatusCode", "AwsException"
			}
			objs = append(objs, fmt.Sprintf(`{"Type":%q,"Service":"svc%d","Api":"api%d","%s":%d,"%s":"Exc%d","ClientId":"c%d","Region":"r%d","UserAgent":"sdk%d/1.0","Latency":%d,"AttemptLatency":%d,"DnsLatency":%d,"ConnectionReused":%d,"MaxRetriesExceeded":1,"SessionToken":"tok%d"}`,
				typ, rng.Intn(5000), k, status, 100+rng.Intn(500), exc, k, k, k, k, rng.Intn(100000), rng.Intn(1000), rng.Intn(50), rng.Intn(2), k))
		}
		out = append(out, []byte("["+strings.Join(objs, ",")+"]"))
	}
	return out
}

// TestHostileSender floods the pipeline with events whose every name is
// new, and checks that the series and the heap stay within their bounds
// and that the excess is counted as folded.
func TestHostileSender(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the hostile sender sends 50,000 events")
	}
	h := startHarness(t, nil, options{dims: []dimension{dimService, dimAPI, dimClient, dimRegion, dimSDK}})
	at := time.Unix(1700000000, 0)
	const rounds = 5
	for r := 0; r < rounds; r++ {
		// The pipeline's queues are bounded: feed no faster than the sinks
		// take, so that every event is counted and the bound is tested
		// with all of them.
		h.feed(at, hostileDatagrams(100, int64(r))...)
		waitUntil(t, func() bool { return h.pipe.sinks[0].holding() == 0 && h.pipe.sinks[1].holding() == 0 }, "sinks caught up")
	}
	h.stop(t)
	c := h.stats.snapshot()
	require.Equal(t, uint64(rounds*100*100), c.calls+c.attempts)
	for name, n := range h.pipe.missed() {
		require.Zero(t, n, "sink %s missed datagrams", name)
	}
	assert.Greater(t, c.folded, uint64(rounds*100*100/2), "most events were folded into (other)")

	families, err := h.reg.Gather()
	require.NoError(t, err)
	perFamily := map[string]int{}
	total := 0
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "csm_") {
			perFamily[f.GetName()] = len(f.GetMetric())
			total += len(f.GetMetric())
		}
	}
	limit := defaultMaxSeries + 1
	for name, n := range perFamily {
		bound := limit
		switch name {
		case "csm_api_call_attempt_phase_seconds":
			bound = limit * int(numPhases)
		case "csm_api_call_attempt_connections_total":
			bound = limit * 2
		}
		assert.LessOrEqual(t, n, bound, name)
	}
	assert.LessOrEqual(t, total, 13*limit, "label sets of every csm_ family")
	s := h.agg.snapshot(at)
	assert.LessOrEqual(t, len(s.rows), limit, "rows of the live view")
	assert.LessOrEqual(t, len(s.timing), limit, "rows of the timing view")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d events, %d folded; csm_ label sets %d (%v); rows %d; heap in use %.1f MiB",
		c.calls+c.attempts, c.folded, total, perFamily, len(s.rows), float64(ms.HeapInuse)/(1<<20))
	assert.Less(t, ms.HeapInuse, uint64(hostileHeapLimit), "heap in use")
	runtime.KeepAlive(h)
}

func TestAdmitterFolds(t *testing.T) {
	a := newAdmitter([]dimension{dimService, dimAPI, dimSDK}, 2)
	e := func(svc, api string, code int, exc string) *event {
		return &event{Type: typeAPICall, Service: svc, API: api, FinalHTTPStatusCode: code, FinalAwsException: exc, UserAgent: "aws-sdk-go/1.55.8 (go1.24; linux)"}
	}
	first := a.admit(e("S3", "GetObject", 200, ""))
	assert.Equal(t, admitted{row: rowKey{"S3", "GetObject", "", "", "aws-sdk-go/1.55.8"}, pair: pairKey{"S3", "GetObject"}, outcome: pairKey{"S3", "GetObject"}, code: "200"}, first)
	second := a.admit(e("S3", "GetObject", 404, "NoSuchKey"))
	assert.False(t, second.folded)
	// A third outcome of a known pair: the outcome folds, the pair stays.
	third := a.admit(e("S3", "GetObject", 503, "SlowDown"))
	assert.Equal(t, pairKey{"S3", "GetObject"}, third.pair)
	assert.Equal(t, otherPair, third.outcome)
	assert.Equal(t, "other", third.code)
	assert.Equal(t, otherName, third.exception)
	assert.True(t, third.folded)
	// A third pair folds whole.
	a.admit(e("S3", "PutObject", 200, ""))
	over := a.admit(e("SQS", "SendMessage", 200, ""))
	assert.Equal(t, otherPair, over.pair)
	assert.Equal(t, rowKey{otherName, otherName, "", "", otherName}, over.row)
	assert.Equal(t, uint64(3), a.folded, "the outcomes of S3 PutObject fold too: two outcomes are admitted")
}

func TestParseDimensions(t *testing.T) {
	d, err := parseDimensions("sdk, Client,region,client")
	require.NoError(t, err)
	assert.Equal(t, []dimension{dimService, dimAPI, dimClient, dimRegion, dimSDK}, d)
	_, err = parseDimensions("host")
	assert.EqualError(t, err, `unknown dimension "host": use client, region or sdk, separated by commas`)
}

func TestSDKName(t *testing.T) {
	for ua, want := range map[string]string{
		"aws-sdk-go/1.55.8 (go1.24; linux; amd64)":                         "aws-sdk-go/1.55.8",
		"aws-sdk-go-v2/1.48.0 os/linux lang/go#1.24 md/GOOS#linux api/sts": "aws-sdk-go-v2/1.48.0",
		"Boto3/1.34.0 md/Botocore#1.34.0":                                  "Boto3/1.34.0",
		"curl":                                                             "curl",
		"":                                                                 "",
		strings.Repeat("x", 100):                                           strings.Repeat("x", 64),
	} {
		assert.Equal(t, want, sdkName(ua), ua)
	}
}
