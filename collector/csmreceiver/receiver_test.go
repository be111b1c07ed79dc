package csmreceiver

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/opencsm/csm-go/internal/ingest/ingesttest"
)

const (
	callJSON    = `{"Version":1,"Type":"ApiCall","Service":"S3","Api":"GetObject","ClientId":"app","Timestamp":1700000000000,"Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24; linux; amd64)","AttemptCount":1,"Latency":42,"FinalHttpStatusCode":200,"MaxRetriesExceeded":0}`
	attemptJSON = `{"Version":1,"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","ClientId":"app","Timestamp":1700000000000,"Fqdn":"s3.us-west-2.amazonaws.com","Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24; linux; amd64)","AccessKey":"AKIDEXAMPLEKEY123456","SessionToken":"secret-session-token","AttemptLatency":40,"HttpStatusCode":200}`
)

// telemetryValue returns the sum of the receiver's own counter name over
// the data points with the attributes of match.
func telemetryValue(t *testing.T, h *harness, name string, match ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var n int64
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a sum of int64", name)
	for _, dp := range sum.DataPoints {
		all := true
		for _, kv := range match {
			if v, ok := dp.Attributes.Value(kv.Key); !ok || v != kv.Value {
				all = false
			}
		}
		if all {
			n += dp.Value
		}
	}
	return n
}

// TestDatagrams sends each datagram shape through a real UDP socket and
// checks what the receiver counted, and what it refused and why, in its
// own telemetry. The shapes are every receiver's (ingesttest.Datagrams):
// the parser's and csmtail's tests take the same.
func TestDatagrams(t *testing.T) {
	for _, tt := range ingesttest.Datagrams() {
		t.Run(tt.Name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.send(t, []byte(tt.Data))
			if tt.Calls+tt.Attempts > 0 {
				md := h.flush(t)
				assert.Equal(t, int64(tt.Calls), total(md, "client.call.duration", nil), "calls")
				assert.Equal(t, int64(tt.Attempts), total(md, "client.call.attempts", nil), "attempts")
			} else {
				require.NoError(t, h.r.flush(context.Background(), time.Now()))
				assert.Empty(t, h.sink.AllMetrics(), "no event, nothing passed on")
			}
			outcome := "accepted"
			if tt.Bad != "" {
				outcome = "refused"
				assert.Equal(t, int64(1), telemetryValue(t, h, telDatagrams, attribute.String("reason", tt.Bad)), "refused as %s", tt.Bad)
			}
			assert.Equal(t, int64(1), telemetryValue(t, h, telDatagrams, attribute.String("outcome", outcome)))
			assert.Equal(t, int64(1), telemetryValue(t, h, telDatagrams), "one datagram counted once")
			assert.Equal(t, int64(tt.Calls+tt.Attempts), telemetryValue(t, h, telEvents, attribute.String("outcome", "accepted")))
		})
	}
}

// TestModel checks each CSM field's metric and attributes.
func TestModel(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.AggregationInterval = time.Hour
	cfg.ClientIDAttribute = true
	h := newHarness(t, cfg)
	h.send(t,
		[]byte(`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"PutItem","ClientId":"orders","Region":"eu-west-1","UserAgent":"Botocore/1.34.0 Python/3.13","AttemptLatency":250,"HttpStatusCode":400,"AwsException":"ThrottlingException","AwsExceptionMessage":"slow down","DnsLatency":3,"TcpLatency":4,"SslLatency":5,"ConnectLatency":12,"AcquireConnectionLatency":13,"RequestLatency":230,"ConnectionReused":0,"AccessKey":"AKIDEXAMPLEKEY123456","SessionToken":"tok"}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"PutItem","ClientId":"orders","Region":"eu-west-1","UserAgent":"Botocore/1.34.0 Python/3.13","AttemptLatency":20,"HttpStatusCode":200,"AcquireConnectionLatency":0,"RequestLatency":19,"ConnectionReused":1}`),
		[]byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"PutItem","ClientId":"orders","Region":"eu-west-1","UserAgent":"Botocore/1.34.0 Python/3.13","AttemptCount":2,"Latency":275,"FinalHttpStatusCode":200,"MaxRetriesExceeded":0}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"DynamoDB","Api":"GetItem","Region":"eu-west-1","UserAgent":"Botocore/1.34.0","AttemptLatency":7,"SdkException":"ConnectTimeoutError","SdkExceptionMessage":"timed out"}`),
		[]byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","Region":"eu-west-1","UserAgent":"Botocore/1.34.0","AttemptCount":1,"Latency":8,"FinalSdkException":"ConnectTimeoutError","MaxRetriesExceeded":1}`),
		[]byte(`{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","UserAgent":"aws-sdk-go-v2/1.30.0","AttemptLatency":9,"HttpStatusCode":503}`),
	)
	md := h.flush(t)

	op := map[string]any{"rpc.system": "aws-api", "rpc.service": "DynamoDB", "rpc.method": "PutItem", "cloud.region": "eu-west-1", "user_agent.name": "Botocore", "csm.client_id": "orders"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range op {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	hist := func(name string, attrs map[string]any) point {
		t.Helper()
		for _, p := range points(md, name) {
			if assert.ObjectsAreEqual(attrs, p.attrs) {
				return p
			}
		}
		t.Fatalf("%s has no data point with %v; it has %v", name, attrs, points(md, name))
		return point{}
	}

	assert.Equal(t, point{attrs: with("http.response.status_code", int64(200)), count: 1, sum: 0.275}, hist("client.call.duration", with("http.response.status_code", int64(200))))
	throttled := with("http.response.status_code", int64(400), "error.type", "ThrottlingException")
	assert.Equal(t, int64(1), total(md, "client.call.attempts", throttled))
	assert.Equal(t, int64(1), total(md, "client.call.errors", throttled))
	assert.Equal(t, int64(2), total(md, "client.call.attempts", op))
	assert.Equal(t, int64(1), total(md, "client.call.errors", op), "the 200 is no error")
	assert.InDelta(t, 0.25, hist("client.call.attempt_duration", throttled).sum, 1e-9)
	assert.InDelta(t, 0.003, hist("client.http.connections.dns_lookup_duration", op).sum, 1e-9)
	assert.InDelta(t, 0.004, hist("csm.client.http.connections.tcp_connect_duration", op).sum, 1e-9)
	assert.InDelta(t, 0.005, hist("client.http.connections.tls_handshake_duration", op).sum, 1e-9)
	assert.InDelta(t, 0.012, hist("csm.client.http.connections.connect_duration", op).sum, 1e-9)
	acquire := hist("client.http.connections.acquire_duration", op)
	assert.Equal(t, uint64(2), acquire.count)
	assert.InDelta(t, 0.013, acquire.sum, 1e-9)
	assert.InDelta(t, 0.249, hist("client.http.time_to_first_byte", op).sum, 1e-9)
	assert.Equal(t, int64(1), total(md, "csm.client.http.connections.reused", with("csm.connection.reused", true)))
	assert.Equal(t, int64(1), total(md, "csm.client.http.connections.reused", with("csm.connection.reused", false)))

	get := map[string]any{"rpc.service": "DynamoDB", "rpc.method": "GetItem"}
	assert.Equal(t, int64(1), total(md, "client.call.errors", map[string]any{"rpc.method": "GetItem", "error.type": "ConnectTimeoutError"}), "the SDK exception when there is no AWS one")
	assert.Equal(t, int64(1), total(md, "csm.client.call.retries_exhausted", get))
	assert.Equal(t, int64(0), total(md, "csm.client.call.retries_exhausted", op))
	for _, p := range points(md, "client.call.attempts") {
		if p.attrs["rpc.method"] == "GetItem" {
			assert.NotContains(t, p.attrs, "http.response.status_code", "no response, no status code")
		}
	}
	assert.Equal(t, int64(1), total(md, "client.call.errors", map[string]any{"rpc.service": "S3", "error.type": "503", "user_agent.name": "aws-sdk-go-v2"}), "a failure with no exception: its type is the status code")

	for _, v := range allAttributeValues(md) {
		assert.NotContains(t, v, "AKID", "no access key in any attribute")
		assert.NotContains(t, v, "tok", "no session token in any attribute")
	}

	// The metadata of the model: aws-sdk-go-v2's units.
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	units := map[string]string{}
	for i := 0; i < ms.Len(); i++ {
		units[ms.At(i).Name()] = ms.At(i).Unit()
	}
	assert.Equal(t, "s", units["client.call.duration"])
	assert.Equal(t, "{attempt}", units["client.call.attempts"])
	assert.Equal(t, "{error}", units["client.call.errors"])
	assert.Equal(t, "s", units["client.call.attempt_duration"])
	assert.Len(t, units, int(numMetrics), "every metric of the model has a series")
}

// TestClientIDOff checks that ClientId is no attribute by default.
func TestClientIDOff(t *testing.T) {
	h := newHarness(t, nil)
	h.send(t, []byte(callJSON))
	for _, p := range points(h.flush(t), "client.call.duration") {
		assert.NotContains(t, p.attrs, "csm.client_id")
	}
}

// hostileDatagrams returns datagrams of 100 events each, every event with
// names no earlier event had: new services, APIs, status codes, exception
// codes, clients, regions and SDKs (csmtail's hostile sender).
func hostileDatagrams(n int, seed int64) [][]byte {
	rng := rand.New(rand.NewSource(seed))
	var out [][]byte
	for d := 0; d < n; d++ {
		var objs []string
		for i := 0; i < 100; i++ {
			k := int(seed)*n*100 + d*100 + i
			typ, status := "ApiCall", "FinalHttpStatusCode"
			exc := "FinalAwsException"
			if rng.Intn(2) == 0 {
				typ, status, exc = "ApiCallAttempt", "HttpStatusCode", "AwsException"
			}
			objs = append(objs, fmt.Sprintf(`{"Type":%q,"Service":"svc%d","Api":"api%d","%s":%d,"%s":"Exc%d","ClientId":"c%d","Region":"r%d","UserAgent":"sdk%d/1.0","Latency":%d,"AttemptLatency":%d,"DnsLatency":%d,"ConnectionReused":%d,"MaxRetriesExceeded":1,"AccessKey":"AKIDHOSTILE%09d","SessionToken":"tok%d"}`,
				typ, rng.Intn(5000), k, status, 100+rng.Intn(500), exc, k, k, k, k, rng.Intn(100000), rng.Intn(1000), rng.Intn(50), rng.Intn(2), k, k))
		}
		out = append(out, []byte("["+strings.Join(objs, ",")+"]"))
	}
	return out
}

// hostileHeapLimit is the documented bound on the heap the receiver's
// series take at the default max_series (docs/collector.md).
const hostileHeapLimit = 64 << 20

// TestHostileSender floods the receiver with events whose every name is
// new, and checks that each metric holds at most max_series+1 series,
// that the excess is folded into _OTHER and counted, that no secret is an
// attribute, and that the heap stays bounded.
func TestHostileSender(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the hostile sender sends 50,000 events")
	}
	h := newHarness(t, nil)
	const rounds = 5
	for r := 0; r < rounds; r++ {
		h.send(t, hostileDatagrams(100, int64(r))...)
	}
	md := h.flush(t)
	const events = rounds * 100 * 100
	assert.Equal(t, int64(events), telemetryValue(t, h, telEvents, attribute.String("outcome", "accepted")))
	folded := telemetryValue(t, h, telEvents, attribute.String("outcome", "folded"))
	assert.Greater(t, folded, int64(events/2), "most events were folded into _OTHER")

	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	seriesTotal := 0
	for i := 0; i < ms.Len(); i++ {
		n := len(points(md, ms.At(i).Name()))
		assert.LessOrEqual(t, n, DefaultMaxSeries+1, ms.At(i).Name())
		seriesTotal += n
	}
	assert.Equal(t, int64(events), total(md, "client.call.attempts", nil)+total(md, "client.call.duration", nil), "every event counted, folded or not")
	other := map[string]any{"rpc.service": otherValue, "rpc.method": otherValue}
	assert.Positive(t, total(md, "client.call.duration", other), "the calls past the bound are under _OTHER")
	for _, v := range allAttributeValues(md) {
		assert.False(t, strings.HasPrefix(v, "AKID") || strings.HasPrefix(v, "tok"), "secret %q is an attribute", v)
	}

	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	t.Logf("%d events, %d folded; %d series in %d metrics; heap in use %.1f MiB", events, folded, seriesTotal, ms.Len(), float64(mem.HeapInuse)/(1<<20))
	assert.Less(t, mem.HeapInuse, uint64(hostileHeapLimit), "heap in use")
}

// TestSeriesBound checks the bound at a small max_series: the first names
// keep their series, the rest fold into one _OTHER series per metric and
// are counted, and every event is counted once.
func TestSeriesBound(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.AggregationInterval = time.Hour
	cfg.MaxSeries = 3
	h := newHarness(t, cfg)
	for i := 0; i < 10; i++ {
		h.send(t, []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":"S3","Api":"Op%d","Region":"us-east-1","UserAgent":"aws-sdk-go/1.0","Latency":1,"FinalHttpStatusCode":200}`, i)))
	}
	md := h.flush(t)
	ps := points(md, "client.call.duration")
	require.Len(t, ps, 4, "3 series, and _OTHER")
	for i, p := range ps[:3] {
		assert.Equal(t, fmt.Sprintf("Op%d", i), p.attrs["rpc.method"])
		assert.Equal(t, uint64(1), p.count)
	}
	assert.Equal(t, map[string]any{
		"rpc.system": "aws-api", "rpc.service": otherValue, "rpc.method": otherValue, "cloud.region": otherValue,
		"user_agent.name": otherValue, "http.response.status_code": otherValue, "error.type": otherValue,
	}, ps[3].attrs)
	assert.Equal(t, uint64(7), ps[3].count)
	assert.Equal(t, int64(7), telemetryValue(t, h, telEvents, attribute.String("outcome", "folded")))
	assert.Equal(t, int64(10), total(md, "client.call.duration", nil))
}

// TestIntervalAndShutdown runs the receiver as the Collector does: the
// metrics arrive every aggregation interval, cumulative, and Shutdown
// passes on what came since the last interval.
func TestIntervalAndShutdown(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.AggregationInterval = 100 * time.Millisecond
	h := newHarness(t, cfg)
	h.send(t, []byte(callJSON))
	require.Eventually(t, func() bool { return len(h.sink.AllMetrics()) > 0 }, 10*time.Second, 10*time.Millisecond)
	first := h.sink.AllMetrics()[0]
	assert.Equal(t, int64(1), total(first, "client.call.duration", nil))
	h.send(t, []byte(callJSON))
	require.NoError(t, h.r.Shutdown(context.Background()))
	all := h.sink.AllMetrics()
	assert.Equal(t, int64(2), total(all[len(all)-1], "client.call.duration", nil), "cumulative, and the last call passed on at shutdown")
	dp := all[len(all)-1].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0)
	assert.Less(t, dp.StartTimestamp(), dp.Timestamp())
	assert.Equal(t, first.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).StartTimestamp(), dp.StartTimestamp(), "one start for a cumulative series")
}

// TestEndpointInUse checks that Start fails, naming the endpoint, when
// the port is taken.
func TestEndpointInUse(t *testing.T) {
	h := newHarness(t, nil)
	cfg := createDefaultConfig()
	cfg.Endpoint = h.r.addr().String()
	rcv, err := newReceiver(h.r.set, cfg, h.sink)
	require.NoError(t, err)
	err = rcv.Start(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), cfg.Endpoint)
	assert.NoError(t, rcv.Shutdown(context.Background()), "shutdown of a receiver that did not start")
}
