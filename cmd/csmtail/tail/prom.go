package tail

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets are the upper bounds, in seconds, of the latency
// histograms' buckets: CSM latencies are whole milliseconds, and calls
// such as large uploads can take minutes.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// promSink keeps the per-pair Prometheus metrics. Every label value it
// uses comes from the admitter, so the number of series is bounded.
type promSink struct {
	calls           *prometheus.CounterVec
	attempts        *prometheus.CounterVec
	callLatency     *prometheus.HistogramVec
	attemptLatency  *prometheus.HistogramVec
	retriesExceeded *prometheus.CounterVec
	phases          *prometheus.HistogramVec
	connections     *prometheus.CounterVec
	known           map[pairKey]bool // pairs whose counters start at 0
}

// newPromSink registers the per-pair metrics in reg.
func newPromSink(reg prometheus.Registerer) *promSink {
	outcome := []string{"service", "api", "code", "exception"}
	pair := []string{"service", "api"}
	m := &promSink{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_calls_total",
			Help: `API calls (ApiCall events) by service, API, final HTTP status code ("" without a response) and final exception ("" for none).`,
		}, outcome),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_call_attempts_total",
			Help: `API call attempts (ApiCallAttempt events) by service, API, HTTP status code ("" without a response) and exception ("" for none).`,
		}, outcome),
		callLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csm_api_call_latency_seconds",
			Help:    "Latency of API calls, retries included.",
			Buckets: latencyBuckets,
		}, pair),
		attemptLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csm_api_call_attempt_latency_seconds",
			Help:    "Latency of API call attempts.",
			Buckets: latencyBuckets,
		}, pair),
		retriesExceeded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_call_retries_exceeded_total",
			Help: "API calls that failed on a retryable error with no retries left.",
		}, pair),
		phases: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csm_api_call_attempt_phase_seconds",
			Help:    "Duration of the HTTP phases of API call attempts, from the senders that time them: dns, tcp, tls, connect, acquire_connection, request.",
			Buckets: latencyBuckets,
		}, []string{"service", "api", "phase"}),
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_call_attempt_connections_total",
			Help: `API call attempts that said whether they reused a pooled connection ("true") or opened one ("false").`,
		}, []string{"service", "api", "reused"}),
		known: make(map[pairKey]bool),
	}
	reg.MustRegister(m.calls, m.attempts, m.callLatency, m.attemptLatency, m.retriesExceeded, m.phases, m.connections)
	return m
}

func (m *promSink) take(d *datagram) {
	for i := range d.events {
		m.observe(&d.events[i], &d.admitted[i])
	}
}

func (m *promSink) tick(time.Time) {}

func (m *promSink) close() {}

// observe counts an event. Label values are valid UTF-8 (encoding/json
// makes them so), but an error from client_golang skips the metric rather
// than panicking.
func (m *promSink) observe(e *event, ad *admitted) {
	p := ad.pair
	if !m.known[p] {
		// Every counter of a known pair shows from its first event, at 0,
		// so that rate() and increase() see its first increase.
		m.known[p] = true
		_, _ = m.retriesExceeded.GetMetricWithLabelValues(p.service, p.api)
		_, _ = m.connections.GetMetricWithLabelValues(p.service, p.api, "true")
		_, _ = m.connections.GetMetricWithLabelValues(p.service, p.api, "false")
	}
	o := ad.outcome
	if e.Type == typeAPICallAttempt {
		if c, err := m.attempts.GetMetricWithLabelValues(o.service, o.api, ad.code, ad.exception); err == nil {
			c.Inc()
		}
		if h, err := m.attemptLatency.GetMetricWithLabelValues(p.service, p.api); err == nil {
			h.Observe(seconds(e.AttemptLatency))
		}
		if e.ConnectionReused != nil {
			reused := "false"
			if *e.ConnectionReused != 0 {
				reused = "true"
			}
			if c, err := m.connections.GetMetricWithLabelValues(p.service, p.api, reused); err == nil {
				c.Inc()
			}
		}
		for ph, v := range phases(e) {
			if v == nil {
				continue
			}
			if h, err := m.phases.GetMetricWithLabelValues(p.service, p.api, phaseNames[ph]); err == nil {
				h.Observe(seconds(*v))
			}
		}
		return
	}
	if c, err := m.calls.GetMetricWithLabelValues(o.service, o.api, ad.code, ad.exception); err == nil {
		c.Inc()
	}
	if h, err := m.callLatency.GetMetricWithLabelValues(p.service, p.api); err == nil {
		h.Observe(seconds(e.Latency))
	}
	if e.MaxRetriesExceeded != 0 {
		if c, err := m.retriesExceeded.GetMetricWithLabelValues(p.service, p.api); err == nil {
			c.Inc()
		}
	}
}

// seconds converts milliseconds to seconds; negative latencies count as 0.
func seconds(ms float64) float64 {
	if ms < 0 {
		return 0
	}
	return ms / 1000
}

// receiveCollector exports the receive loop's own counts, read when
// Prometheus scrapes: they are exact, whatever the sinks missed.
type receiveCollector struct {
	stats     *receiveStats
	pipe      *pipeline
	maxSeries int

	datagrams, bad, events, folded, kernelDrops, missed, last, build, limit *prometheus.Desc
}

// newReceiveCollector returns the collector of stats and of what the
// pipeline's sinks missed.
func newReceiveCollector(stats *receiveStats, pipe *pipeline, maxSeries int) *receiveCollector {
	return &receiveCollector{
		stats: stats, pipe: pipe, maxSeries: maxSeries,
		datagrams:   prometheus.NewDesc("csmtail_datagrams_total", "Datagrams received, good and bad.", nil, nil),
		bad:         prometheus.NewDesc("csmtail_bad_datagrams_total", "Datagrams with something csmtail could not read, by the first reason.", []string{"reason"}, nil),
		events:      prometheus.NewDesc("csmtail_events_total", "Events (JSON objects) taken from the datagrams, by type.", []string{"type"}, nil),
		folded:      prometheus.NewDesc("csmtail_folded_events_total", `Events counted with a name (service/api pair, exception, outcome, row) as "(other)" because its limit was reached.`, nil, nil),
		kernelDrops: prometheus.NewDesc("csmtail_kernel_drops_total", "Datagrams the kernel dropped because csmtail's socket buffer was full (Linux only).", nil, nil),
		missed:      prometheus.NewDesc("csmtail_sink_missed_datagrams_total", "Datagrams an output (sink) missed because it fell behind; the receive counts above still have them.", []string{"sink"}, nil),
		last:        prometheus.NewDesc("csmtail_last_datagram_timestamp_seconds", "When the last datagram arrived, in seconds since the Unix epoch; 0 before the first.", nil, nil),
		build:       prometheus.NewDesc("csmtail_build_info", "csmtail's version and the Go version it was built with; always 1.", []string{"version", "goversion"}, nil),
		limit:       prometheus.NewDesc("csmtail_max_series", "The --max-series limit: service/api pairs, outcome combinations and rows each stop there.", nil, nil),
	}
}

func (c *receiveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.datagrams, c.bad, c.events, c.folded, c.kernelDrops, c.missed, c.last, c.build, c.limit} {
		ch <- d
	}
}

func (c *receiveCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats
	ch <- prometheus.MustNewConstMetric(c.datagrams, prometheus.CounterValue, float64(s.datagrams.Load()))
	for i, r := range badReasons {
		ch <- prometheus.MustNewConstMetric(c.bad, prometheus.CounterValue, float64(s.bad[i].Load()), string(r))
	}
	ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(s.calls.Load()), typeAPICall)
	ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(s.attempts.Load()), typeAPICallAttempt)
	ch <- prometheus.MustNewConstMetric(c.folded, prometheus.CounterValue, float64(s.folded.Load()))
	ch <- prometheus.MustNewConstMetric(c.kernelDrops, prometheus.CounterValue, float64(s.kernelDrops.Load()))
	for name, n := range c.pipe.missed() {
		ch <- prometheus.MustNewConstMetric(c.missed, prometheus.CounterValue, float64(n), name)
	}
	var last float64
	if ns := s.last.Load(); ns != 0 {
		last = float64(ns) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(c.build, prometheus.GaugeValue, 1, version(), runtime.Version())
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(c.maxSeries))
}

// version returns csmtail's module version: "v0.2.0" when installed with
// go install at a version, "(devel)" when built from a clone.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == modulePath {
				return m.Version
			}
		}
		if bi.Main.Path == modulePath && bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "(devel)"
}

// modulePath is csmtail's module.
const modulePath = "github.com/opencsm/csm-go/cmd/csmtail"

// newRegistry returns the registry csmtail serves: its receive counts,
// its Go and process metrics, and (registered by the caller) the per-pair
// metrics.
func newRegistry(c *receiveCollector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveMetrics serves reg as /metrics on ln until ctx ends, then shuts the
// server down. It returns once the server has stopped.
func serveMetrics(ctx context.Context, ln net.Listener, reg *prometheus.Registry) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// A scrape in progress gets what is left of csmtail's exit grace.
	shutdown, cancel := context.WithTimeout(context.Background(), exitGrace)
	defer cancel()
	if srv.Shutdown(shutdown) != nil {
		_ = srv.Close() // the scrapes still in progress end here
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
