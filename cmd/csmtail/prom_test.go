package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exposition is a scrape of /metrics, parsed.
type exposition struct {
	body     string
	families map[string]*dto.MetricFamily
}

// scrape serves mon's metrics on a real listener on 127.0.0.1:0 and scrapes
// them.
func scrape(t *testing.T, mon *monitor) exposition {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveMetrics(ctx, ln, mon.prom.reg) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	return scrapeURL(t, "http://"+ln.Addr().String()+"/metrics")
}

// scrapeURL gets url over HTTP and parses the text exposition format.
func scrapeURL(t *testing.T, url string) exposition {
	t.Helper()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return exposition{body: string(body), families: families}
}

// find returns the metric of family name with exactly the given labels.
func (e exposition) find(t *testing.T, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f := e.families[name]
	require.NotNil(t, f, "no metric family %s", name)
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			if l.GetValue() != "" {
				got[l.GetName()] = l.GetValue()
			}
		}
		// An empty label value is the same as no label.
		want := map[string]string{}
		for k, v := range labels {
			if v != "" {
				want[k] = v
			}
		}
		if assert.ObjectsAreEqual(want, got) {
			return m
		}
	}
	require.Failf(t, "no metric", "%s%v", name, labels)
	return nil
}

// value returns the value of a counter.
func (e exposition) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	return e.find(t, name, labels).GetCounter().GetValue()
}

// histogramCount returns the number of observations of a histogram.
func (e exposition) histogramCount(t *testing.T, name string, labels map[string]string) uint64 {
	t.Helper()
	f := e.families[name]
	require.NotNil(t, f, "no metric family %s", name)
	var n uint64
	for _, m := range f.GetMetric() {
		n += m.GetHistogram().GetSampleCount()
	}
	if labels != nil {
		n = e.find(t, name, labels).GetHistogram().GetSampleCount()
	}
	return n
}

func TestPrometheus(t *testing.T) {
	r, stop := startReceiver(t, nil, monitorOptions{maxSeries: 2}, maxDatagram)
	datagrams := [][]byte{
		[]byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","AttemptCount":1,"Latency":3,"FinalHttpStatusCode":200,"MaxRetriesExceeded":0}`),
		[]byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","AttemptCount":4,"Latency":1500,"FinalHttpStatusCode":400,` +
			`"FinalAwsException":"ThrottlingException","FinalAwsExceptionMessage":"slow down","MaxRetriesExceeded":1}`),
		[]byte(`[{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"GetItem","AttemptLatency":2,"HttpStatusCode":200,` +
			`"AccessKey":"AKIDSECRETLOOKING","SessionToken":"TOKENVALUE"},` +
			`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"GetItem","AttemptLatency":7,"HttpStatusCode":400,"AwsException":"ThrottlingException"}]`),
		[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","AttemptCount":1,"Latency":20,"FinalSdkException":"RequestError"}` + "\n" +
			`{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","AttemptLatency":20,"SdkException":"RequestError"}`),
		// A third pair: past --max-series 2.
		[]byte(`{"Type":"ApiCall","Service":"SQS","Api":"SendMessage","AttemptCount":1,"Latency":5,"FinalHttpStatusCode":200}`),
		[]byte(""),
		[]byte("nope"),
		[]byte(`{"Type":"Nope"}`),
		[]byte(`{"Type":"ApiCall","Latency":"slow"}`),
	}
	r.send(t, datagrams...)
	r.wait(t, uint64(len(datagrams)))
	stop()
	e := scrape(t, r.mon)

	for _, c := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "200", "exception": ""}, 1},
		{"csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "400", "exception": "ThrottlingException"}, 1},
		{"csm_api_calls_total", map[string]string{"service": "S3", "api": "GetObject", "status": "none", "exception": "RequestError"}, 1},
		{"csm_api_calls_total", map[string]string{"service": otherName, "api": otherName, "status": "200", "exception": ""}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "200", "exception": ""}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "400", "exception": "ThrottlingException"}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "S3", "api": "GetObject", "status": "none", "exception": "RequestError"}, 1},
		{"csm_api_call_retries_exceeded_total", map[string]string{"service": "DynamoDB", "api": "GetItem"}, 1},
		{"csmtail_datagrams_total", nil, 9},
		{"csmtail_bad_datagrams_total", map[string]string{"reason": "empty"}, 1},
		{"csmtail_bad_datagrams_total", map[string]string{"reason": "not_json"}, 1},
		{"csmtail_bad_datagrams_total", map[string]string{"reason": "unknown_type"}, 1},
		{"csmtail_bad_datagrams_total", map[string]string{"reason": "wrong_type"}, 1},
		{"csmtail_bad_datagrams_total", map[string]string{"reason": "too_large"}, 0},
		{"csmtail_events_total", map[string]string{"type": "ApiCall"}, 4},
		{"csmtail_events_total", map[string]string{"type": "ApiCallAttempt"}, 3},
		{"csmtail_overflow_events_total", nil, 1},
	} {
		assert.Equal(t, c.value, e.value(t, c.name, c.labels), "%s%v", c.name, c.labels)
	}
	assert.Len(t, e.families["csm_api_calls_total"].GetMetric(), 4)

	// The latency histograms, in seconds.
	h := e.find(t, "csm_api_call_latency_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem"}).GetHistogram()
	assert.Equal(t, uint64(2), h.GetSampleCount())
	assert.InDelta(t, 1.503, h.GetSampleSum(), 1e-9)
	buckets := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		buckets[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	assert.Equal(t, uint64(0), buckets[0.0025])
	assert.Equal(t, uint64(1), buckets[0.005])
	assert.Equal(t, uint64(1), buckets[1])
	assert.Equal(t, uint64(2), buckets[2.5])
	a := e.find(t, "csm_api_call_attempt_latency_seconds", map[string]string{"service": "DynamoDB", "api": "GetItem"}).GetHistogram()
	assert.Equal(t, uint64(2), a.GetSampleCount())
	assert.InDelta(t, 0.009, a.GetSampleSum(), 1e-9)

	// csmtail's own process metrics are there too; credentials are not.
	assert.Contains(t, e.families, "go_goroutines")
	assert.NotContains(t, e.body, "AKIDSECRETLOOKING")
	assert.NotContains(t, e.body, "TOKENVALUE")
}
