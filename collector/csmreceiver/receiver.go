package csmreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/opencsm/csm-go/collector/csmreceiver/internal/metadata"
	"github.com/opencsm/csm-go/internal/ingest"
)

// csmReceiver reads CSM datagrams from a UDP socket, aggregates their
// events into the model's metrics (model.go), and passes the cumulative
// metrics to the next consumer every aggregation interval.
type csmReceiver struct {
	cfg      *Config
	set      receiver.Settings
	next     consumer.Metrics
	obsrecv  *receiverhelper.ObsReport
	tel      *telemetry
	start    time.Time
	conn     *net.UDPConn
	ingest   *ingest.Receiver
	cancel   context.CancelFunc
	done     sync.WaitGroup
	mu       sync.Mutex // guards store, and ingest and start while Start sets them
	store    *store
	events   []ingest.Event
	handled  uint64 // datagrams handled, for tests
	shutdown sync.Once
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics) (*csmReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "udp",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	r := &csmReceiver{
		cfg:     cfg,
		set:     set,
		next:    next,
		obsrecv: obsrecv,
		store:   newStore(cfg.MaxSeries, cfg.ClientIDAttribute),
	}
	r.tel, err = newTelemetry(set.TelemetrySettings, r)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Start listens on the endpoint and starts the receive loop and the
// aggregation ticker.
func (r *csmReceiver) Start(_ context.Context, host component.Host) error {
	conn, err := ingest.Listen(r.cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("csm receiver: endpoint %s: %w", r.cfg.Endpoint, err)
	}
	in := &ingest.Receiver{Conn: conn}
	r.mu.Lock()
	r.conn, r.ingest, r.start = conn, in, time.Now()
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.set.Logger.Info("CSM receiver listening", zap.Stringer("endpoint", conn.LocalAddr()))

	r.done.Add(2)
	go func() {
		defer r.done.Done()
		if err := in.Run(ctx, r.handle); err != nil {
			r.set.Logger.Error("CSM receive loop stopped", zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	go func() {
		defer r.done.Done()
		t := time.NewTicker(r.cfg.AggregationInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				r.flush(context.Background(), now)
			}
		}
	}()
	return nil
}

// Shutdown stops receiving, passes what was counted since the last
// interval on, and closes the socket.
func (r *csmReceiver) Shutdown(ctx context.Context) error {
	var err error
	r.shutdown.Do(func() {
		if r.cancel == nil {
			r.tel.unregister() // never started
			return
		}
		r.cancel()
		r.done.Wait()
		err = r.flush(ctx, time.Now())
		err = errors.Join(err, r.conn.Close())
		r.tel.unregister()
	})
	return err
}

// addr returns the address the receiver listens on, once started.
func (r *csmReceiver) addr() net.Addr { return r.conn.LocalAddr() }

// handle counts a batch of datagrams; it runs on the receive loop.
func (r *csmReceiver) handle(batch []ingest.Packet, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled += uint64(len(batch))
	for i := range batch {
		p := &batch[i]
		if p.Truncated {
			r.tel.bad(ingest.BadTooLarge)
			continue
		}
		var bad ingest.BadReason
		r.events, bad = ingest.Parse(r.events[:0], p.Data)
		if bad != "" {
			r.tel.bad(bad)
		} else {
			r.tel.good()
		}
		for j := range r.events {
			before := r.store.folded
			r.store.add(&r.events[j])
			r.tel.event(r.events[j].Type, r.store.folded != before)
		}
	}
	// The events point into the batch: let them go.
	clear(r.events)
}

// flush passes every series, cumulative, to the next consumer.
func (r *csmReceiver) flush(ctx context.Context, now time.Time) error {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	sm.Scope().SetVersion(r.set.BuildInfo.Version)
	r.mu.Lock()
	points := r.store.appendTo(sm.Metrics(), r.start, now)
	r.mu.Unlock()
	if points == 0 {
		return nil
	}
	ctx = r.obsrecv.StartMetricsOp(ctx)
	err := r.next.ConsumeMetrics(ctx, md)
	r.obsrecv.EndMetricsOp(ctx, "csm", points, err)
	if err != nil {
		r.set.Logger.Warn("the next consumer refused the CSM metrics", zap.Int("data_points", points), zap.Error(err))
	}
	return err
}
