package tail

import (
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exposition is a parsed /metrics page.
type exposition map[string]*dto.MetricFamily

// scrapeURL gets and parses a /metrics page.
func scrapeURL(t *testing.T, url string) exposition {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// A Decoder rather than a zero TextParser: from prometheus/common
	// v0.63 on, a zero TextParser has no name validation scheme and
	// panics, and the workspace may build csmtail with a newer version
	// (the collector module's).
	dec := expfmt.NewDecoder(resp.Body, expfmt.NewFormat(expfmt.TypeTextPlain))
	fams := exposition{}
	for {
		f := &dto.MetricFamily{}
		err := dec.Decode(f)
		if errors.Is(err, io.EOF) {
			return fams
		}
		require.NoError(t, err)
		fams[f.GetName()] = f
	}
}

// gather returns the harness's metrics as a scrape would.
func (h *harness) gather(t *testing.T) exposition {
	t.Helper()
	fams, err := h.reg.Gather()
	require.NoError(t, err)
	e := exposition{}
	for _, f := range fams {
		e[f.GetName()] = f
	}
	return e
}

// find returns the metric of family name with exactly labels, or nil.
func (e exposition) find(name string, labels map[string]string) *dto.Metric {
	f := e[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

// value returns a counter's or gauge's value; the test fails if there is
// none.
func (e exposition) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	m := e.find(name, labels)
	require.NotNil(t, m, "%s%v", name, labels)
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// histogramCount returns a histogram's count.
func (e exposition) histogramCount(t *testing.T, name string, labels map[string]string) uint64 {
	t.Helper()
	m := e.find(name, labels)
	require.NotNil(t, m, "%s%v", name, labels)
	return m.GetHistogram().GetSampleCount()
}

func TestPrometheus(t *testing.T) {
	h := newHarness(t, options{})
	before := time.Now()
	h.send(t,
		[]byte(`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"GetItem","HttpStatusCode":400,"AwsException":"ProvisionedThroughputExceededException","AttemptLatency":5}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"GetItem","HttpStatusCode":200,"AttemptLatency":7,"ConnectionReused":1,"AcquireConnectionLatency":0,"RequestLatency":6}`),
		[]byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","FinalHttpStatusCode":200,"Latency":15,"AttemptCount":2}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole","SdkException":"RequestError","AttemptLatency":1,"ConnectionReused":0,"DnsLatency":2,"TcpLatency":1,"SslLatency":9,"ConnectLatency":10,"AcquireConnectionLatency":11,"RequestLatency":3}`),
		[]byte(`{"Type":"ApiCall","Service":"STS","Api":"AssumeRole","FinalSdkException":"RequestError","Latency":2,"AttemptCount":1,"MaxRetriesExceeded":1}`),
		[]byte(`not json`),
	)
	h.wait(t, 6)
	h.stop(t)
	e := h.gather(t)

	// The outcome: code and exception, "" for none, the same way in both.
	assert.Equal(t, 1.0, e.value(t, "csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "code": "200", "exception": ""}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_calls_total", map[string]string{"service": "STS", "api": "AssumeRole", "code": "", "exception": "RequestError"}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_call_attempts_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "code": "400", "exception": "ProvisionedThroughputExceededException"}))
	// Every counter of a known pair from its first event, at 0.
	assert.Equal(t, 0.0, e.value(t, "csm_api_call_retries_exceeded_total", map[string]string{"service": "DynamoDB", "api": "GetItem"}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_call_retries_exceeded_total", map[string]string{"service": "STS", "api": "AssumeRole"}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_call_attempt_connections_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "reused": "true"}))
	assert.Equal(t, 0.0, e.value(t, "csm_api_call_attempt_connections_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "reused": "false"}))
	assert.Equal(t, 1.0, e.value(t, "csm_api_call_attempt_connections_total", map[string]string{"service": "STS", "api": "AssumeRole", "reused": "false"}))
	// Histograms.
	assert.Equal(t, uint64(1), e.histogramCount(t, "csm_api_call_latency_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem"}))
	assert.Equal(t, uint64(2), e.histogramCount(t, "csm_api_call_attempt_latency_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem"}))
	for _, p := range phaseNames {
		assert.Equal(t, uint64(1), e.histogramCount(t, "csm_api_call_attempt_phase_seconds", map[string]string{"service": "STS", "api": "AssumeRole", "phase": p}), p)
	}
	assert.Equal(t, uint64(1), e.histogramCount(t, "csm_api_call_attempt_phase_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem", "phase": "request"}))
	assert.Nil(t, e.find("csm_api_call_attempt_phase_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem", "phase": "tls"}), "no TLS on a reused connection")
	tls := e.find("csm_api_call_attempt_phase_seconds", map[string]string{"service": "STS", "api": "AssumeRole", "phase": "tls"})
	assert.InDelta(t, 0.009, tls.GetHistogram().GetSampleSum(), 1e-12)

	// The receiver's own.
	assert.Equal(t, 6.0, e.value(t, "csmtail_datagrams_total", nil))
	assert.Equal(t, 1.0, e.value(t, "csmtail_bad_datagrams_total", map[string]string{"reason": "not_json"}))
	assert.Equal(t, 0.0, e.value(t, "csmtail_bad_datagrams_total", map[string]string{"reason": "too_large"}))
	assert.Equal(t, 2.0, e.value(t, "csmtail_events_total", map[string]string{"type": "ApiCall"}))
	assert.Equal(t, 0.0, e.value(t, "csmtail_kernel_drops_total", nil))
	assert.Equal(t, 0.0, e.value(t, "csmtail_folded_events_total", nil))
	assert.Equal(t, 0.0, e.value(t, "csmtail_sink_missed_datagrams_total", map[string]string{"sink": "view"}))
	last := e.value(t, "csmtail_last_datagram_timestamp_seconds", nil)
	assert.GreaterOrEqual(t, last, float64(before.UnixNano())/1e9)
	assert.LessOrEqual(t, last, float64(time.Now().UnixNano())/1e9)
	build := e["csmtail_build_info"].GetMetric()
	require.Len(t, build, 1)
	assert.Equal(t, 1.0, build[0].GetGauge().GetValue())
	assert.Equal(t, float64(defaultMaxSeries), e.value(t, "csmtail_max_series", nil))
	for name := range e {
		assert.False(t, strings.Contains(name, "status"), name)
	}
}

// TestKernelDrops overflows a small socket buffer before csmtail reads it,
// and checks that the kernel's drops are counted (Linux only). The kernel
// tells the drops with each datagram queued after them: the test sends
// numbered markers, one at a time, until the last one sent is the last one
// read, so that every datagram sent was read or dropped by then.
func TestKernelDrops(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("this system does not count a socket's drops (SO_RXQ_OVFL is Linux's)")
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadBuffer(4096)) // the kernel's smallest
	c, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer c.Close()
	const sent = 500
	for i := 0; i < sent; i++ {
		_, err := c.Write([]byte(callJSON))
		require.NoError(t, err)
	}
	last := &lastAPI{}
	h := startHarness(t, conn, options{lines2: last})
	markers := 0
	for seen := false; !seen; {
		markers++
		marker := "Marker" + strconv.Itoa(markers)
		_, err := c.Write(call("CSM", marker, 200, "", 1, ""))
		require.NoError(t, err)
		// Wait for the marker a while, then send the next one: a
		// marker the kernel dropped is never read. The wait paces the
		// markers and is not part of what is checked.
		deadline := time.Now().Add(100 * time.Millisecond)
		for !seen && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			seen = last.get() == marker
		}
		require.Less(t, markers, int(waitLimit/(100*time.Millisecond)), "no marker read")
	}
	received := h.stats.datagrams.Load()
	drops := h.stats.kernelDrops.Load()
	t.Logf("sent %d and %d markers, received %d, dropped by the kernel %d", sent, markers, received, drops)
	assert.NotZero(t, drops)
	assert.Equal(t, uint64(sent+markers), received+drops, "every datagram received or counted as dropped")
	h.stop(t)
	assert.Equal(t, float64(drops), h.gather(t).value(t, "csmtail_kernel_drops_total", nil))
}

// lastAPI is a sink that keeps the Api of the last event it took.
type lastAPI struct {
	mu  sync.Mutex
	api string
}

func (s *lastAPI) take(d *datagram) {
	if len(d.events) > 0 {
		s.mu.Lock()
		s.api = d.events[len(d.events)-1].API
		s.mu.Unlock()
	}
}
func (s *lastAPI) tick(time.Time) {}
func (s *lastAPI) close()         {}

func (s *lastAPI) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.api
}
