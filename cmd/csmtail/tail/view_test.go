package tail

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// call returns an ApiCall datagram.
func call(service, api string, status int, exception string, latency float64, extra string) []byte {
	return []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":%q,"Api":%q,"FinalHttpStatusCode":%d,"FinalAwsException":%q,"Latency":%v,"AttemptCount":1%s}`,
		service, api, status, exception, latency, extra))
}

// TestLiveViewAt80Columns checks that at 80 columns the rates, the error
// percentage and the percentiles stay visible, and a long API name ends
// in an ellipsis.
func TestLiveViewAt80Columns(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	long := "DescribeAVeryLongOperationNameThatNeverEnds"
	h.feed(t0, call("DynamoDB", "GetItem", 200, "", 12, ""), call("DynamoDB", long, 400, "ValidationException", 30, ""))
	h.stop(t)
	v := newLiveView(defaultDims(), "csmtail (devel): udp 127.0.0.1:31000", t0.Add(-65*time.Second))
	c := h.stats.snapshot()
	v.frame(c, h.agg.snapshot(t0), t0, 80, 10) // the first frame: no rates yet
	frame := v.frame(c, h.agg.snapshot(t0.Add(time.Second)), t0.Add(time.Second), 80, 10)
	for _, line := range lines(frame) {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Contains(t, frame, "up 1m06s")
	header := lines(frame)[4]
	for _, col := range []string{"SERVICE", "API", "CALLS/S", "ERR%", "P50", "P99", "CALLS", "ERRORS"} {
		assert.Contains(t, header, col)
	}
	assert.Contains(t, frame, "…")
	assert.NotContains(t, frame, long)
	assert.Regexp(t, `DynamoDB\s+GetItem\s+0\.0\s+-\s+12ms\s+12ms\s+12ms\s+1\s+0`, frame)
}

// TestLiveViewRatesAndSort feeds calls over two intervals and checks the
// calls per second, the error percentage of the last interval, and each
// sort key.
func TestLiveViewRatesAndSort(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	v := newLiveView(defaultDims(), "t", t0)
	frameAt := func(at time.Time) []callRow {
		waitUntil(t, func() bool { return h.agg.snapshot(at).datagrams == h.stats.datagrams.Load() }, "the view took every datagram")
		return v.callRows(h.agg.snapshot(at), at)
	}
	frameAt(t0)
	// In the first 2 s: 10 fast GetItem, 4 slow Query of which 2 fail.
	for i := 0; i < 10; i++ {
		h.feed(t0, call("DynamoDB", "GetItem", 200, "", 5, ""))
	}
	for i := 0; i < 4; i++ {
		status, exc := 200, ""
		if i%2 == 0 {
			status, exc = 400, "ProvisionedThroughputExceededException"
		}
		h.feed(t0, call("DynamoDB", "Query", status, exc, 200, ""))
	}
	rows := frameAt(t0.Add(2 * time.Second))
	require.Len(t, rows, 2)
	assert.Equal(t, "GetItem", rows[0].key[dimAPI], "sorted by calls")
	assert.Equal(t, 5.0, rows[0].rate)
	assert.Equal(t, 0.0, rows[0].errPct)
	assert.Equal(t, 2.0, rows[1].rate)
	assert.Equal(t, 50.0, rows[1].errPct)

	// The next second: nothing. Rates fall to 0, totals stay.
	v.key('e')
	rows = frameAt(t0.Add(3 * time.Second))
	assert.Equal(t, "Query", rows[0].key[dimAPI], "sorted by errors (totals when the interval has none)")
	assert.Equal(t, 0.0, rows[0].rate)
	assert.Equal(t, -1.0, rows[0].errPct, "no calls in the interval: no error percentage")
	assert.Equal(t, uint64(2), rows[0].errors)
	v.key('c')
	assert.Equal(t, "GetItem", frameAt(t0.Add(4 * time.Second))[0].key[dimAPI], "sorted by calls")
	v.key('l')
	assert.Equal(t, "Query", frameAt(t0.Add(5 * time.Second))[0].key[dimAPI], "sorted by latency")
	assert.True(t, v.key('t'))
	assert.True(t, v.timing)
	assert.False(t, v.key('q'))
}

// TestLiveViewWindow checks that the percentiles forget what left the
// last minute, and the summary's do not.
func TestLiveViewWindow(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	for i := 0; i < 10; i++ {
		h.feed(t0, call("S3", "GetObject", 200, "", 900, ""))
	}
	waitUntil(t, func() bool { return h.agg.snapshot(t0).datagrams == 10 }, "the view took them")
	s := h.agg.snapshot(t0.Add(time.Second))
	require.Len(t, s.rows, 1)
	assert.Equal(t, int64(912), s.rows[0].p99, "the slow calls, within the histogram's precision")
	later := t0.Add(window + windowSlot)
	h.feed(later, call("S3", "GetObject", 200, "", 10, ""))
	h.stop(t)
	s = h.agg.snapshot(later)
	require.Len(t, s.rows, 1)
	assert.Equal(t, int64(10), s.rows[0].p99, "the spike left the window")
	assert.Equal(t, int64(912), s.rows[0].all99, "since the start")
}

// TestLiveViewBy splits rows by client, region and SDK.
func TestLiveViewBy(t *testing.T) {
	dims, err := parseDimensions("client,region,sdk")
	require.NoError(t, err)
	h := startHarness(t, nil, options{dims: dims})
	t0 := time.Unix(1700000000, 0)
	h.feed(t0,
		call("STS", "GetCallerIdentity", 200, "", 3, `,"ClientId":"billing","Region":"us-east-1","UserAgent":"aws-sdk-go/1.55.8 (go1.24)"`),
		call("STS", "GetCallerIdentity", 200, "", 3, `,"ClientId":"billing","Region":"us-east-1","UserAgent":"aws-sdk-go-v2/1.48.0 os/linux"`),
		call("STS", "GetCallerIdentity", 200, "", 3, `,"ClientId":"search","Region":"eu-west-1","UserAgent":"aws-sdk-go-v2/1.48.0 os/linux"`),
	)
	h.stop(t)
	v := newLiveView(dims, "t", t0)
	frame := v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 0, 10)
	assert.Regexp(t, `SERVICE\s+API\s+CLIENT\s+REGION\s+SDK\s+CALLS/S`, frame)
	assert.Regexp(t, `STS\s+GetCallerIdentity\s+billing\s+us-east-1\s+go 1\.55\.8\s`, frame)
	assert.Regexp(t, `STS\s+GetCallerIdentity\s+billing\s+us-east-1\s+go-v2 1\.48\.0\s`, frame)
	assert.Regexp(t, `STS\s+GetCallerIdentity\s+search\s+eu-west-1\s+go-v2 1\.48\.0\s`, frame)
}

// TestTimingView feeds synthetic attempts with the HTTP timing fields and
// checks the timing table: reuse rate and per-phase percentiles.
func TestTimingView(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	attempt := func(api string, reused int, dns, tcp, tls, acquire, request int) []byte {
		return []byte(fmt.Sprintf(`{"Type":"ApiCallAttempt","Service":"STS","Api":%q,"HttpStatusCode":200,"AttemptLatency":%d,"ConnectionReused":%d,"DnsLatency":%d,"TcpLatency":%d,"SslLatency":%d,"ConnectLatency":%d,"AcquireConnectionLatency":%d,"RequestLatency":%d,"DestinationIp":"127.0.0.1"}`,
			api, acquire+request, reused, dns, tcp, tls, tcp+tls, acquire, request))
	}
	for i := 0; i < 9; i++ {
		h.feed(t0, attempt("GetAccessKeyInfo", 0, 1, 2, 9, 12, 4))
	}
	h.feed(t0, attempt("GetAccessKeyInfo", 0, 3, 4, 40, 47, 5))
	for i := 0; i < 4; i++ {
		h.feed(t0, []byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"GetCallerIdentity","ConnectionReused":1,"AcquireConnectionLatency":0,"RequestLatency":3}`))
	}
	h.feed(t0, []byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole"}`)) // not timed
	h.stop(t)
	v := newLiveView(defaultDims(), "t", t0)
	v.key('t')
	frame := v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 80, 10)
	t.Log("\n" + frame)
	for _, line := range lines(frame) {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Contains(t, frame, "HTTP timing")
	assert.Contains(t, frame, "GetCallerIdenti…")
	frame = v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 120, 10)
	assert.Regexp(t, `STS\s+GetAccessKeyInfo\s+(10\s+)?0%\s+1/3ms\s+2/4ms\s+9/41ms\s+12/47ms\s+4/5ms`, frame)
	assert.Regexp(t, `STS\s+GetCallerIdentity\s+(4\s+)?100%\s+-\s+-\s+-\s+<1/<1ms\s+3/3ms`, frame)
	assert.Regexp(t, `STS\s+AssumeRole\s+(1\s+)?-\s+-\s+-\s+-\s+-\s+-`, frame)
	sum := v.summary(h.stats.snapshot(), h.agg.snapshot(t0), t0, 0)
	assert.Contains(t, sum, "HTTP timing:")
}

func TestLayout(t *testing.T) {
	cols := callColumns(defaultDims())
	rows := []callRow{{rowView: rowView{key: rowKey{"DynamoDB", strings.Repeat("A", 60)}, p50: 1, p90: 2, p99: 3, exceptions: []nameCount{{"ProvisionedThroughputExceededException", 3}}}, rate: 1, errPct: 1}}
	for _, width := range []int{60, 80, 100, 200} {
		var b strings.Builder
		writeColumns(&b, cols, cells(cols, rows), width)
		for _, line := range lines(b.String()) {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), width, "width %d: %q", width, line)
		}
		for _, must := range []string{"ERR%", "P99", "CALLS/S"} {
			assert.Contains(t, b.String(), must, "width %d", width)
		}
	}
}

func TestFormats(t *testing.T) {
	for ms, want := range map[int64]string{-1: "-", 0: "<1ms", 1: "1ms", 999: "999ms", 1500: "1.50s", 12345: "12.3s", 125000: "2m5s"} {
		assert.Equal(t, want, formatQuantile(ms))
	}
	for ms, want := range map[float64]string{0: "<1ms", 0.25: "0.25ms", 57: "57ms", 1250: "1.25s", 123000: "2m3s", -1: "-"} {
		assert.Equal(t, want, formatLatency(ms))
	}
	for d, want := range map[time.Duration]string{42 * time.Second: "42s", 185 * time.Second: "3m05s", 7380 * time.Second: "2h03m"} {
		assert.Equal(t, want, formatElapsed(d))
	}
	assert.Equal(t, "a?b", printable("a\x1bb"))
	assert.Equal(t, "-", printable(""))
}

// TestSummaryAt80Columns checks that the final summary, at 80 columns,
// keeps the retries, attempts and exceptions that the live view drops
// first.
func TestSummaryAt80Columns(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	h.feed(t0,
		call("DynamoDB", "GetItem", 200, "", 12, ""),
		call("DynamoDB", "DescribeAVeryLongOperationNameThatNeverEnds", 400, "ProvisionedThroughputExceededException", 1500, `,"AttemptCount":4,"MaxRetriesExceeded":1`),
	)
	h.stop(t)
	v := newLiveView(defaultDims(), "t", t0)
	sum := v.summary(h.stats.snapshot(), h.agg.snapshot(t0), t0, 80)
	t.Log("\n" + sum)
	for _, line := range lines(sum) {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Regexp(t, `(?m)^SERVICE\s+API\s+P50\s+(P90\s+)?P99\s+CALLS\s+ERRORS\s+RETRIES\s+ATTEMPTS\s+EXCEPTIONS$`, sum)
	// The calls came without their attempts: ATTEMPTS counts attempt
	// datagrams, RETRIES the calls' AttemptCount - 1.
	assert.Regexp(t, `(?m)^DynamoDB\s+Describ\S*…\s+1\.50s\s+(1\.50s\s+)?1\.50s\s+1\s+1\s+3\s+0\s+Provisioned\S+$`, sum)
	assert.Regexp(t, `(?m)^DynamoDB\s+GetItem\s+12ms\s+(12ms\s+)?12ms\s+1\s+0\s+0\s+0$`, sum)
}

// TestLatencyFormat checks that a latency of 0 (under a millisecond: the
// SDKs send whole milliseconds, rounded down) reads the same in a line and
// in the summary.
func TestLatencyFormat(t *testing.T) {
	f := linesPlain
	h := startHarness(t, nil, options{lines: &f})
	t0 := time.Unix(1700000000, 0)
	h.feed(t0, call("STS", "GetCallerIdentity", 200, "", 0, ""))
	h.stop(t)
	line := lines(h.out.String())
	require.Len(t, line, 1)
	m := regexp.MustCompile(` latency=(\S+)$`).FindStringSubmatch(line[0])
	require.NotNil(t, m, line[0])
	assert.Equal(t, "<1ms", m[1])
	sum := newLiveView(defaultDims(), "t", t0).summary(h.stats.snapshot(), h.agg.snapshot(t0), t0, 0)
	assert.Regexp(t, `(?m)^STS\s+GetCallerIdentity\s+`+regexp.QuoteMeta(m[1])+`\s+`+regexp.QuoteMeta(m[1])+`\s+`+regexp.QuoteMeta(m[1])+`\s+1\s`, sum)
}

// TestTimingViewWithoutTiming checks that the timing view says how to turn
// timing on when no attempt carries its fields, and only then.
func TestTimingViewWithoutTiming(t *testing.T) {
	h := startHarness(t, nil, options{})
	t0 := time.Unix(1700000000, 0)
	h.feed(t0, []byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole","HttpStatusCode":200,"AttemptLatency":3}`))
	waitUntil(t, func() bool { return h.agg.snapshot(t0).datagrams == 1 }, "the view took it")
	v := newLiveView(defaultDims(), "t", t0)
	v.key('t')
	frame := v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 80, 10)
	t.Log("\n" + frame)
	for _, line := range lines(frame) {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 80, line)
	}
	assert.Regexp(t, `STS\s+AssumeRole\s+1\s+-`, frame)
	assert.Contains(t, frame, "AWS_CSM_HTTP_TIMING=true")
	assert.Contains(t, frame, "csm_http_timing = true")

	h.feed(t0, []byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole","HttpStatusCode":200,"AttemptLatency":3,"ConnectionReused":1,"RequestLatency":3}`))
	h.stop(t)
	frame = v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 80, 10)
	assert.NotContains(t, frame, "AWS_CSM_HTTP_TIMING")
}

// TestSDKColumnAt80Columns checks that with every dimension at 80 columns
// the SDK column still tells aws-sdk-go from aws-sdk-go-v2, without their
// versions when there is no room for them.
func TestSDKColumnAt80Columns(t *testing.T) {
	dims, err := parseDimensions("client,region,sdk")
	require.NoError(t, err)
	h := startHarness(t, nil, options{dims: dims})
	t0 := time.Unix(1700000000, 0)
	const extra = `,"ClientId":"billing-service-production","Region":"ap-southeast-2","UserAgent":%q`
	h.feed(t0,
		call("DynamoDB", "DescribeContinuousBackups", 200, "", 3, fmt.Sprintf(extra, "aws-sdk-go/1.55.8 (go1.24; linux; amd64)")),
		call("DynamoDB", "DescribeContinuousBackups", 200, "", 3, fmt.Sprintf(extra, "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.24")),
	)
	h.stop(t)
	v := newLiveView(dims, "t", t0)
	// As the terminal shows it: the names are as short as the layout
	// makes them, and the terminal cuts what is still too wide.
	screen := strings.ReplaceAll(string(terminalFrame(v.frame(h.stats.snapshot(), h.agg.snapshot(t0), t0, 80, 10), 80)), ansiClearLine, "")
	t.Log("\n" + screen)
	assert.Regexp(t, `(?m)^DynamoDB\s+\S+\s+\S+\s+\S+\s+go\s`, screen)
	assert.Regexp(t, `(?m)^DynamoDB\s+\S+\s+\S+\s+\S+\s+go-v2\s`, screen)
}
