package csmreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/opencsm/csm-go/collector/csmreceiver/internal/metadata"
	"github.com/opencsm/csm-go/internal/ingest"
)

// telemetry is the receiver's own telemetry, beside the receiver helper's
// accepted and refused data points: what arrived, what it refused and why,
// and what it folded into "_OTHER". The Collector shows it with its own
// metrics (service::telemetry), as otelcol_receiver_csm_*.
type telemetry struct {
	datagrams metric.Int64Counter
	events    metric.Int64Counter
	reg       metric.Registration

	goodOpt  metric.AddOption
	badOpts  map[ingest.BadReason]metric.AddOption
	eventOpt map[string]metric.AddOption
	otherOpt metric.AddOption
}

// The receiver's own metric names.
const (
	telDatagrams   = "otelcol_receiver_csm_datagrams"
	telEvents      = "otelcol_receiver_csm_events"
	telKernelDrops = "otelcol_receiver_csm_kernel_drops"
	telSeries      = "otelcol_receiver_csm_series"
)

func newTelemetry(set component.TelemetrySettings, r *csmReceiver) (*telemetry, error) {
	meter := set.MeterProvider.Meter(metadata.ScopeName)
	t := &telemetry{
		goodOpt:  metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "accepted"))),
		badOpts:  make(map[ingest.BadReason]metric.AddOption),
		eventOpt: make(map[string]metric.AddOption),
		otherOpt: metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "folded"))),
	}
	for _, b := range ingest.BadReasons {
		t.badOpts[b] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "refused"), attribute.String("reason", string(b))))
	}
	for _, typ := range []string{ingest.TypeAPICall, ingest.TypeAPICallAttempt} {
		t.eventOpt[typ] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "accepted"), attribute.String("type", typ)))
	}
	var err error
	if t.datagrams, err = meter.Int64Counter(telDatagrams, metric.WithUnit("{datagram}"),
		metric.WithDescription(`CSM datagrams received: outcome "accepted", or "refused" with the reason the datagram is bad (a bad datagram's good events still count).`)); err != nil {
		return nil, err
	}
	if t.events, err = meter.Int64Counter(telEvents, metric.WithUnit("{event}"),
		metric.WithDescription(`CSM events (ApiCall, ApiCallAttempt) counted: outcome "accepted" by type, and "folded" for those with some attribute folded into _OTHER by max_series.`)); err != nil {
		return nil, err
	}
	drops, err := meter.Int64ObservableCounter(telKernelDrops, metric.WithUnit("{datagram}"),
		metric.WithDescription("CSM datagrams the kernel dropped on the receiver's socket for want of buffer space (Linux)."))
	if err != nil {
		return nil, err
	}
	series, err := meter.Int64ObservableGauge(telSeries, metric.WithUnit("{series}"),
		metric.WithDescription("Series the receiver holds, every metric together; each metric holds at most max_series + 1."))
	if err != nil {
		return nil, err
	}
	t.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		r.mu.Lock()
		in, n := r.ingest, r.store.seriesCount()
		r.mu.Unlock()
		if in != nil {
			o.ObserveInt64(drops, int64(in.KernelDrops()))
		}
		o.ObserveInt64(series, int64(n))
		return nil
	}, drops, series)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *telemetry) good() { t.datagrams.Add(context.Background(), 1, t.goodOpt) }

func (t *telemetry) bad(b ingest.BadReason) {
	t.datagrams.Add(context.Background(), 1, t.badOpts[b])
}

func (t *telemetry) event(typ string, folded bool) {
	t.events.Add(context.Background(), 1, t.eventOpt[typ])
	if folded {
		t.events.Add(context.Background(), 1, t.otherOpt)
	}
}

func (t *telemetry) unregister() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}
