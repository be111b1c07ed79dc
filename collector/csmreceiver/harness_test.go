package csmreceiver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/opencsm/csm-go/collector/csmreceiver/internal/metadata"
)

// harness is a csm receiver made by its factory, started on a free
// loopback port, with a sink as its next consumer and test telemetry.
type harness struct {
	r    *csmReceiver
	sink *consumertest.MetricsSink
	tel  *componenttest.Telemetry
	conn net.Conn
	sent uint64
}

// newHarness starts a receiver with cfg (the defaults when nil, on a free
// port). Its aggregation interval is an hour unless cfg says otherwise:
// the tests flush it themselves.
func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	if cfg == nil {
		cfg = createDefaultConfig()
		cfg.AggregationInterval = time.Hour
	}
	cfg.Endpoint = "127.0.0.1:0"
	require.NoError(t, cfg.Validate())
	h := &harness{sink: new(consumertest.MetricsSink), tel: componenttest.NewTelemetry()}
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	rcv, err := NewFactory().CreateMetrics(context.Background(), set, cfg, h.sink)
	require.NoError(t, err)
	h.r = rcv.(*csmReceiver)
	require.NoError(t, h.r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, h.r.Shutdown(context.Background()))
		require.NoError(t, h.tel.Shutdown(context.Background()))
	})
	h.conn, err = net.Dial("udp", h.r.addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { h.conn.Close() })
	return h
}

// send sends datagrams to the receiver and waits until it has handled
// them all.
func (h *harness) send(t *testing.T, datagrams ...[]byte) {
	t.Helper()
	for _, d := range datagrams {
		_, err := h.conn.Write(d)
		require.NoError(t, err)
		h.sent++
		// Loopback UDP drops what the socket buffer cannot hold: wait
		// for each datagram before the next one.
		require.Eventually(t, func() bool {
			h.r.mu.Lock()
			defer h.r.mu.Unlock()
			return h.r.handled >= h.sent
		}, 10*time.Second, time.Millisecond, "the receiver did not handle datagram %d", h.sent)
	}
}

// flush makes the receiver pass its metrics on now, and returns the
// latest batch the sink got.
func (h *harness) flush(t *testing.T) pmetric.Metrics {
	t.Helper()
	require.NoError(t, h.r.flush(context.Background(), time.Now()))
	all := h.sink.AllMetrics()
	require.NotEmpty(t, all, "the receiver passed nothing on")
	return all[len(all)-1]
}

// point is a data point of the output: its attributes, and a counter's
// value or a histogram's count and sum.
type point struct {
	attrs map[string]any
	value int64
	count uint64
	sum   float64
}

// points returns every data point of metric name in md.
func points(md pmetric.Metrics, name string) []point {
	var out []point
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != name {
					continue
				}
				switch m.Type() {
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for l := 0; l < dps.Len(); l++ {
						out = append(out, point{attrs: dps.At(l).Attributes().AsRaw(), value: dps.At(l).IntValue()})
					}
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for l := 0; l < dps.Len(); l++ {
						out = append(out, point{attrs: dps.At(l).Attributes().AsRaw(), count: dps.At(l).Count(), sum: dps.At(l).Sum()})
					}
				}
			}
		}
	}
	return out
}

// total adds up a counter's values, or a histogram's counts, over the
// points whose attributes include match.
func total(md pmetric.Metrics, name string, match map[string]any) int64 {
	var n int64
	for _, p := range points(md, name) {
		if !includes(p.attrs, match) {
			continue
		}
		n += p.value + int64(p.count)
	}
	return n
}

func includes(attrs, match map[string]any) bool {
	for k, v := range match {
		if attrs[k] != v {
			return false
		}
	}
	return true
}

// allAttributeValues returns every attribute value of every data point of
// md, as strings.
func allAttributeValues(md pmetric.Metrics) []string {
	var out []string
	add := func(m pcommon.Map) {
		m.Range(func(_ string, v pcommon.Value) bool {
			out = append(out, v.AsString())
			return true
		})
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		add(rms.At(i).Resource().Attributes())
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for l := 0; l < m.Sum().DataPoints().Len(); l++ {
						add(m.Sum().DataPoints().At(l).Attributes())
					}
				case pmetric.MetricTypeHistogram:
					for l := 0; l < m.Histogram().DataPoints().Len(); l++ {
						add(m.Histogram().DataPoints().At(l).Attributes())
					}
				}
			}
		}
	}
	return out
}
