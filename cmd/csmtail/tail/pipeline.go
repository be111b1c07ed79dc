package tail

import (
	"bytes"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// A datagram goes receive → parse → admit → sinks. The receive loop does
// the first three on its own goroutine and hands the result to every sink
// through a bounded queue of its own; a sink whose queue is full misses
// the datagram, and the miss is counted. No sink, however slow (a
// terminal, a pipe, a scrape), can make the receive loop wait, so the
// kernel's socket buffer is emptied as fast as the datagrams can be parsed.

// sinkQueueLen is how many datagrams a sink's queue holds.
const sinkQueueLen = 4096

// sinkQueueCost bounds what a sink's queue holds, in bytes of datagrams
// plus eventCost per event, so that a flood of small objects cannot fill
// memory either.
const sinkQueueCost = 8 << 20

// eventCost is what an event is charged in a queue: about the size of a
// parsed event.
const eventCost = 512

// datagram is one datagram, read, parsed and admitted. Sinks share it and
// must not change it.
type datagram struct {
	received  time.Time
	from      netip.AddrPort
	size      int // bytes read; more were sent if bad is badTooLarge
	bad       badReason
	badSample string // what --show-bad shows: the start of the datagram, secrets masked
	events    []event
	admitted  []admitted // for each event
}

// cost is what the datagram is charged in a sink's queue.
func (d *datagram) cost() int64 {
	return int64(d.size + eventCost*len(d.events))
}

// sink takes the datagrams on a goroutine of its own.
type sink interface {
	// take handles one datagram.
	take(d *datagram)
	// tick is called every interval between datagrams (to flush lines).
	tick(now time.Time)
	// close is called after the last datagram.
	close()
}

// sinkRunner runs one sink behind its bounded queue.
type sinkRunner struct {
	name   string
	sink   sink
	queue  chan *datagram
	cost   atomic.Int64
	missed atomic.Uint64
}

// offer hands d to the sink unless its queue is full; then the sink misses
// it, and the miss is counted. It never blocks.
func (r *sinkRunner) offer(d *datagram) {
	c := d.cost()
	if r.cost.Add(c) > sinkQueueCost {
		r.cost.Add(-c)
		r.missed.Add(1)
		return
	}
	select {
	case r.queue <- d:
	default:
		r.cost.Add(-c)
		r.missed.Add(1)
	}
}

// run takes datagrams until the queue is closed, then closes the sink.
func (r *sinkRunner) run(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case d, ok := <-r.queue:
			if !ok {
				r.sink.close()
				return
			}
			r.sink.take(d)
			r.cost.Add(-d.cost())
		case now := <-t.C:
			r.sink.tick(now)
		}
	}
}

// pipeline parses and admits datagrams and hands them to the sinks.
// handle is called by one goroutine at a time (the receive loop).
type pipeline struct {
	admit   *admitter
	stats   *receiveStats
	sinks   []*sinkRunner
	keepRaw bool // keep each event's JSON, for --json
	showBad bool
	wg      sync.WaitGroup
}

// newPipeline returns a pipeline for the sinks, not yet started.
func newPipeline(a *admitter, stats *receiveStats, keepRaw, showBad bool) *pipeline {
	return &pipeline{admit: a, stats: stats, keepRaw: keepRaw, showBad: showBad}
}

// add adds a sink, before start.
func (p *pipeline) add(name string, s sink) {
	p.sinks = append(p.sinks, &sinkRunner{name: name, sink: s, queue: make(chan *datagram, sinkQueueLen)})
}

// start starts a goroutine per sink; interval is the period of tick.
func (p *pipeline) start(interval time.Duration) {
	for _, r := range p.sinks {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			r.run(interval)
		}()
	}
}

// stop closes the sinks' queues once handle is no longer called, and waits
// until every sink has taken what was queued and closed.
func (p *pipeline) stop() {
	for _, r := range p.sinks {
		close(r.queue)
	}
	p.wg.Wait()
}

// missed returns, per sink, how many datagrams it missed.
func (p *pipeline) missed() map[string]uint64 {
	m := make(map[string]uint64, len(p.sinks))
	for _, r := range p.sinks {
		m[r.name] = r.missed.Load()
	}
	return m
}

// handleBatch handles a batch of datagrams read together at received.
func (p *pipeline) handleBatch(batch []ingest.Packet, received time.Time) {
	for i := range batch {
		pk := &batch[i]
		p.handle(pk.Data, pk.From, pk.Truncated, received)
	}
}

// handle parses, admits and counts one datagram received at received, and
// offers it to the sinks. truncated tells that it was larger than the
// receiver reads. data is not kept.
func (p *pipeline) handle(data []byte, from netip.AddrPort, truncated bool, received time.Time) {
	d := &datagram{received: received, from: from, size: len(data)}
	if truncated {
		d.bad = badTooLarge
	} else {
		src := data
		if p.keepRaw {
			// The events' Raw point into what they were parsed from.
			src = bytes.Clone(data)
		}
		d.events, d.bad = ingest.Parse(nil, src)
	}
	if d.bad != "" && p.showBad {
		d.badSample = badSample(data, d.bad)
	}
	d.admitted = make([]admitted, len(d.events))
	for i := range d.events {
		e := &d.events[i]
		d.admitted[i] = p.admit.admit(e)
		if !p.keepRaw {
			e.Raw = nil
		}
	}
	p.stats.count(d)
	for _, r := range p.sinks {
		r.offer(d)
	}
}
