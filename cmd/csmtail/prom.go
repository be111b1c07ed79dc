package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets are the upper bounds, in seconds, of the latency
// histograms' buckets: CSM latencies are whole milliseconds, and calls
// such as large uploads can take minutes.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// promMetrics are the Prometheus metrics, in their own registry.
type promMetrics struct {
	reg             *prometheus.Registry
	calls           *prometheus.CounterVec
	attempts        *prometheus.CounterVec
	callLatency     *prometheus.HistogramVec
	attemptLatency  *prometheus.HistogramVec
	retriesExceeded *prometheus.CounterVec
	datagrams       prometheus.Counter
	bad             *prometheus.CounterVec
	events          *prometheus.CounterVec
	overflow        prometheus.Counter
}

// newPromMetrics registers the metrics in a new registry, so that every
// monitor (and every test) has its own.
func newPromMetrics() *promMetrics {
	outcome := []string{"service", "api", "status", "exception"}
	series := []string{"service", "api"}
	m := &promMetrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_calls_total",
			Help: "API calls (ApiCall events) by service, API, final HTTP status code and final exception.",
		}, outcome),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_call_attempts_total",
			Help: "API call attempts (ApiCallAttempt events) by service, API, HTTP status code and exception.",
		}, outcome),
		callLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csm_api_call_latency_seconds",
			Help:    "Latency of API calls, retries included.",
			Buckets: latencyBuckets,
		}, series),
		attemptLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "csm_api_call_attempt_latency_seconds",
			Help:    "Latency of API call attempts.",
			Buckets: latencyBuckets,
		}, series),
		retriesExceeded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csm_api_call_retries_exceeded_total",
			Help: "API calls that failed on a retryable error with no retries left.",
		}, series),
		datagrams: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "csmtail_datagrams_total",
			Help: "Datagrams received, good and bad.",
		}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csmtail_bad_datagrams_total",
			Help: "Datagrams with something csmtail could not read, by the first reason.",
		}, []string{"reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "csmtail_events_total",
			Help: "Events (JSON objects) taken from the datagrams, by type.",
		}, []string{"type"}),
		overflow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "csmtail_overflow_events_total",
			Help: `Events counted under service and api "(other)" because --max-series pairs were already tracked.`,
		}),
	}
	m.reg.MustRegister(m.calls, m.attempts, m.callLatency, m.attemptLatency, m.retriesExceeded,
		m.datagrams, m.bad, m.events, m.overflow)
	// The receiver's own counters show from the start, at zero.
	for _, r := range badReasons {
		m.bad.WithLabelValues(string(r))
	}
	m.events.WithLabelValues(typeAPICall)
	m.events.WithLabelValues(typeAPICallAttempt)
	return m
}

// datagram counts a datagram, bad if reason is not empty.
func (m *promMetrics) datagram(reason badReason) {
	m.datagrams.Inc()
	if reason != "" {
		m.bad.WithLabelValues(string(reason)).Inc()
	}
}

// observe counts an event under its row key and exception name. Label
// values are valid UTF-8 (encoding/json makes them so), but an error from
// client_golang skips the metric rather than panicking.
func (m *promMetrics) observe(k seriesKey, exception string, e *event, overflow bool) {
	m.events.WithLabelValues(e.Type).Inc()
	if overflow {
		m.overflow.Inc()
	}
	code, _ := e.status()
	status := statusLabel(code)
	if e.Type == typeAPICallAttempt {
		if c, err := m.attempts.GetMetricWithLabelValues(k.service, k.api, status, exception); err == nil {
			c.Inc()
		}
		if h, err := m.attemptLatency.GetMetricWithLabelValues(k.service, k.api); err == nil {
			h.Observe(seconds(e.AttemptLatency))
		}
		return
	}
	if c, err := m.calls.GetMetricWithLabelValues(k.service, k.api, status, exception); err == nil {
		c.Inc()
	}
	if h, err := m.callLatency.GetMetricWithLabelValues(k.service, k.api); err == nil {
		h.Observe(seconds(e.Latency))
	}
	if e.MaxRetriesExceeded != 0 {
		if c, err := m.retriesExceeded.GetMetricWithLabelValues(k.service, k.api); err == nil {
			c.Inc()
		}
	}
}

// statusLabel returns an HTTP status code as a label value: "none" for no
// response (0), "other" for a number that is not an HTTP status code.
func statusLabel(code int) string {
	switch {
	case code == 0:
		return "none"
	case code < 100 || code > 599:
		return "other"
	default:
		return strconv.Itoa(code)
	}
}

// seconds converts milliseconds to seconds; negative latencies count as 0.
func seconds(ms float64) float64 {
	if ms < 0 {
		return 0
	}
	return ms / 1000
}

// serveMetrics serves the metrics of reg, and the Go and process metrics of
// csmtail itself, as /metrics on ln until ctx ends, then shuts the server
// down. It returns once the server has stopped.
func serveMetrics(ctx context.Context, ln net.Listener, reg *prometheus.Registry) error {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		var again prometheus.AlreadyRegisteredError // served before
		if err := reg.Register(c); err != nil && !errors.As(err, &again) {
			return err
		}
	}
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
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
