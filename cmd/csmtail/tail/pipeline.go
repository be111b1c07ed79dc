package tail

import (
	"bytes"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// A datagram goes receive → parse → admit → sinks. The receive loop reads
// the socket a batch of datagrams at a time, does the first three on its
// own goroutine and hands the batch to every sink: it appends the
// datagrams to the sink's bounded queue and rings the sink's bell, which
// wakes the sink's goroutine if it sleeps. A sink takes everything queued
// at once, so under load a sink wakes once per batch, or less, never once
// per datagram. A datagram that does not fit in a sink's queue is missed by
// that sink, and the miss is counted. The receive loop holds a queue's
// lock only to append, never while a sink takes: no sink, however slow (a
// terminal, a pipe, a scrape), can make it wait, so the kernel's socket
// buffer is emptied as fast as the datagrams can be parsed.

// sinkQueueLen is how many datagrams a sink holds, queued or being taken.
const sinkQueueLen = 4096

// sinkQueueCost bounds what a sink holds, in bytes of datagrams plus
// eventCost per event, so that a flood of small objects cannot fill memory
// either.
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
	name string
	sink sink
	bell chan struct{} // a ring wakes the sink; capacity 1
	done chan struct{} // closed once the sink is closed

	mu      sync.Mutex
	pending []*datagram // queued, not yet taken
	held    int         // datagrams queued or being taken
	cost    int64       // their cost
	closed  bool        // no more datagrams will be offered
	dropped bool        // the pipeline stopped waiting: take no more

	missed atomic.Uint64
}

// newSinkRunner returns a runner for s, not yet started.
func newSinkRunner(name string, s sink) *sinkRunner {
	return &sinkRunner{name: name, sink: s, bell: make(chan struct{}, 1), done: make(chan struct{})}
}

// offer queues the datagrams of a batch for the sink, up to its bounds;
// the sink misses the others, and the misses are counted. It never waits
// for the sink.
func (r *sinkRunner) offer(batch []*datagram) {
	r.mu.Lock()
	for _, d := range batch {
		c := d.cost()
		if r.held >= sinkQueueLen || r.cost+c > sinkQueueCost || r.dropped {
			r.missed.Add(1)
			continue
		}
		r.pending = append(r.pending, d)
		r.held++
		r.cost += c
	}
	r.mu.Unlock()
	r.ring()
}

// ring wakes the sink if it sleeps.
func (r *sinkRunner) ring() {
	select {
	case r.bell <- struct{}{}:
	default:
	}
}

// run takes what is queued each time the bell rings, and ticks every
// interval, until the queue is closed and empty; then it closes the sink.
func (r *sinkRunner) run(interval time.Duration) {
	defer close(r.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	var spare []*datagram
	for {
		select {
		case <-r.bell:
		case now := <-t.C:
			r.sink.tick(now)
			continue
		}
		for {
			r.mu.Lock()
			batch, closed, dropped := r.pending, r.closed, r.dropped
			if len(batch) > 0 {
				// The queue gets the other of the two arrays.
				r.pending = spare[:0]
			}
			r.mu.Unlock()
			if dropped {
				return // the pipeline no longer waits: the sink is left as it is
			}
			if len(batch) == 0 {
				if closed {
					r.sink.close()
					return
				}
				break
			}
			for i, d := range batch {
				r.sink.take(d)
				batch[i] = nil // what the sink does not hold is not kept
				r.mu.Lock()
				dropped := r.dropped
				if !dropped {
					// Taken: no longer held, and counted by the
					// sink itself if it keeps some output.
					r.held--
					r.cost -= d.cost()
				}
				r.mu.Unlock()
				if dropped {
					return
				}
			}
			spare = batch
		}
	}
}

// drop stops the sink from taking more and counts what it holds, queued
// or being taken, and what it took but has not written, as missed.
func (r *sinkRunner) drop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dropped {
		return
	}
	r.dropped = true
	n := uint64(r.held)
	if u, ok := r.sink.(unwritten); ok {
		n += u.unwritten()
	}
	r.missed.Add(n)
	clear(r.pending)
	r.pending, r.held, r.cost = nil, 0, 0
}

// unwritten is a sink that can tell how many datagrams it took whose
// output is not written yet.
type unwritten interface {
	unwritten() uint64
}

// pipeline parses and admits datagrams and hands them to the sinks.
// handle is called by one goroutine at a time (the receive loop).
type pipeline struct {
	admit   *admitter
	stats   *receiveStats
	sinks   []*sinkRunner
	keepRaw bool // keep each event's JSON, for --json
	showBad bool
	batch   []*datagram // handleBatch's, reused
	parser  ingest.Parser
}

// newPipeline returns a pipeline for the sinks, not yet started.
func newPipeline(a *admitter, stats *receiveStats, keepRaw, showBad bool) *pipeline {
	return &pipeline{admit: a, stats: stats, keepRaw: keepRaw, showBad: showBad}
}

// add adds a sink, before start.
func (p *pipeline) add(name string, s sink) {
	p.sinks = append(p.sinks, newSinkRunner(name, s))
}

// start starts a goroutine per sink; interval is the period of tick.
func (p *pipeline) start(interval time.Duration) {
	for _, r := range p.sinks {
		go r.run(interval)
	}
}

// stop closes the sinks' queues once handle is no longer called, and waits
// until every sink has taken what was queued and closed.
func (p *pipeline) stop() {
	p.stopBy(nil)
}

// stopBy closes the sinks' queues once handleBatch is no longer called,
// and waits until every sink has taken what was queued and closed, or
// until giveUp is closed: then a sink that is not done is dropped, what it
// holds counted as missed, and left to itself. It reports whether every
// sink was done.
func (p *pipeline) stopBy(giveUp <-chan struct{}) bool {
	for _, r := range p.sinks {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.ring()
	}
	all := true
	for _, r := range p.sinks {
		select {
		case <-r.done:
		case <-giveUp:
			select {
			case <-r.done:
			default:
				r.drop()
				all = false
			}
		}
	}
	return all
}

// missed returns, per sink, how many datagrams it missed.
func (p *pipeline) missed() map[string]uint64 {
	m := make(map[string]uint64, len(p.sinks))
	for _, r := range p.sinks {
		m[r.name] = r.missed.Load()
	}
	return m
}

// handleBatch parses, admits and counts a batch of datagrams read
// together at received, and offers them to the sinks.
func (p *pipeline) handleBatch(batch []ingest.Packet, received time.Time) {
	ds := p.batch[:0]
	for i := range batch {
		pk := &batch[i]
		ds = append(ds, p.prepare(pk.Data, pk.From, pk.Truncated, received))
	}
	for _, r := range p.sinks {
		r.offer(ds)
	}
	clear(ds)
	p.batch = ds
}

// handle is handleBatch for one datagram.
func (p *pipeline) handle(data []byte, from netip.AddrPort, truncated bool, received time.Time) {
	p.handleBatch([]ingest.Packet{{Data: data, From: from, Truncated: truncated}}, received)
}

// prepare parses, admits and counts one datagram received at received.
// truncated tells that it was larger than the receiver reads. data is not
// kept.
func (p *pipeline) prepare(data []byte, from netip.AddrPort, truncated bool, received time.Time) *datagram {
	d := &datagram{received: received, from: from, size: len(data)}
	if truncated {
		d.bad = badTooLarge
	} else {
		src := data
		if p.keepRaw {
			// The events' Raw point into what they were parsed from.
			src = bytes.Clone(data)
		}
		d.events, d.bad = p.parser.Parse(nil, src)
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
	return d
}

// holding returns how many datagrams the sink holds, queued or being
// taken.
func (r *sinkRunner) holding() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}
