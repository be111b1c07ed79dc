package tail

import (
	"sort"
	"sync"
	"time"
)

// maxRowExceptions bounds the exception names a row counts apart; the
// others are counted as otherName.
const maxRowExceptions = 10

// maxRecentBad is how many bad datagrams the live view shows with
// --show-bad.
const maxRecentBad = 5

// row is what the live view counts for one row key.
type row struct {
	calls           uint64
	attempts        uint64
	retries         uint64 // attempts after the first, from the calls' AttemptCount
	errors          uint64 // calls that failed
	retriesExceeded uint64
	exceptions      map[string]uint64 // failed calls by exception, or by status class
	total           latencyHistogram  // of the calls, since the start
	window          latencyWindow     // of the calls, the last minute
}

// phase is a part of an HTTP attempt that CSM senders may time.
type phase int

// The phases, as the HTTP timing fields name them.
const (
	phaseDNS phase = iota
	phaseTCP
	phaseTLS
	phaseConnect
	phaseAcquire
	phaseRequest
	numPhases
)

// phaseNames are the phases' label values.
var phaseNames = [numPhases]string{"dns", "tcp", "tls", "connect", "acquire_connection", "request"}

// phases returns the timing fields of the attempt e, nil where it has none.
func phases(e *event) [numPhases]*float64 {
	return [numPhases]*float64{e.DNSLatency, e.TCPLatency, e.SSLLatency, e.ConnectLatency, e.AcquireConnectionLatency, e.RequestLatency}
}

// timingRow is what the attempt-side aggregator counts for one
// Service/Api pair: how often a connection was reused and how long each
// phase took.
type timingRow struct {
	attempts  uint64
	reusedOf  uint64 // attempts that said whether their connection was reused
	reused    uint64
	histogram [numPhases]*latencyHistogram // made on the phase's first value
}

// aggregator is the live view's sink: it counts the calls per row and the
// attempts' phases per pair. Its methods are safe for concurrent use.
type aggregator struct {
	mu        sync.Mutex
	datagrams uint64
	rows      map[rowKey]*row
	timing    map[pairKey]*timingRow
	recentBad []string
}

// newAggregator returns an empty aggregator.
func newAggregator() *aggregator {
	return &aggregator{rows: make(map[rowKey]*row), timing: make(map[pairKey]*timingRow)}
}

func (a *aggregator) take(d *datagram) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.datagrams++
	if d.bad != "" && d.badSample != "" {
		if len(a.recentBad) == maxRecentBad {
			copy(a.recentBad, a.recentBad[1:])
			a.recentBad = a.recentBad[:maxRecentBad-1]
		}
		a.recentBad = append(a.recentBad, badLine(d))
	}
	for i := range d.events {
		e, ad := &d.events[i], &d.admitted[i]
		r := a.rows[ad.row]
		if r == nil {
			r = &row{}
			a.rows[ad.row] = r
		}
		if e.Type == typeAPICallAttempt {
			r.attempts++
			a.takeAttempt(e, ad)
			continue
		}
		r.calls++
		if e.AttemptCount > 1 {
			r.retries += uint64(e.AttemptCount - 1)
		}
		if e.MaxRetriesExceeded != 0 {
			r.retriesExceeded++
		}
		if e.Failed() {
			r.errors++
			name := ad.exception
			if name == "" {
				name = "HTTP " + statusClass(e.FinalHTTPStatusCode)
			}
			if r.exceptions == nil {
				r.exceptions = make(map[string]uint64)
			}
			if _, ok := r.exceptions[name]; !ok && len(r.exceptions) >= maxRowExceptions {
				name = otherName
			}
			r.exceptions[name]++
		}
		r.total.add(e.Latency)
		r.window.add(e.Latency, d.received)
	}
}

// takeAttempt counts an attempt's HTTP timing fields.
func (a *aggregator) takeAttempt(e *event, ad *admitted) {
	t := a.timing[ad.pair]
	if t == nil {
		t = &timingRow{}
		a.timing[ad.pair] = t
	}
	t.attempts++
	if e.ConnectionReused != nil {
		t.reusedOf++
		if *e.ConnectionReused != 0 {
			t.reused++
		}
	}
	for p, v := range phases(e) {
		if v == nil {
			continue
		}
		if t.histogram[p] == nil {
			t.histogram[p] = new(latencyHistogram)
		}
		t.histogram[p].add(*v)
	}
}

func (a *aggregator) tick(time.Time) {}

func (a *aggregator) close() {}

// rowView is a row as the view shows it.
type rowView struct {
	key             rowKey
	calls           uint64
	attempts        uint64
	retries         uint64
	errors          uint64
	retriesExceeded uint64
	// p50, p90 and p99 are over the last window, in milliseconds; -1
	// without calls in it.
	p50, p90, p99 int64
	// all50, all90 and all99 are since the start.
	all50, all90, all99 int64
	exceptions          []nameCount
}

// nameCount is an exception and how many calls failed with it.
type nameCount struct {
	name  string
	count uint64
}

// timingView is a timingRow as the view shows it.
type timingView struct {
	pair     pairKey
	attempts uint64
	reusedOf uint64
	reused   uint64
	// p50 and p99 per phase, in milliseconds; -1 without values.
	p50, p99 [numPhases]int64
}

// viewSnapshot is what the aggregator has counted.
type viewSnapshot struct {
	datagrams uint64 // taken by the aggregator
	rows      []rowView
	timing    []timingView
	recentBad []string
}

// snapshot returns the rows, with the percentiles of the window that ends
// at now, in no particular order.
func (a *aggregator) snapshot(now time.Time) viewSnapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := viewSnapshot{
		datagrams: a.datagrams,
		rows:      make([]rowView, 0, len(a.rows)),
		recentBad: append([]string(nil), a.recentBad...),
	}
	for k, r := range a.rows {
		w := r.window.histogram(now)
		v := rowView{
			key: k, calls: r.calls, attempts: r.attempts, retries: r.retries,
			errors: r.errors, retriesExceeded: r.retriesExceeded,
			p50: w.quantile(0.50), p90: w.quantile(0.90), p99: w.quantile(0.99),
			all50: r.total.quantile(0.50), all90: r.total.quantile(0.90), all99: r.total.quantile(0.99),
		}
		for name, n := range r.exceptions {
			v.exceptions = append(v.exceptions, nameCount{name, n})
		}
		sort.Slice(v.exceptions, func(i, j int) bool {
			a, b := v.exceptions[i], v.exceptions[j]
			if a.count != b.count {
				return a.count > b.count
			}
			return a.name < b.name
		})
		s.rows = append(s.rows, v)
	}
	for k, t := range a.timing {
		v := timingView{pair: k, attempts: t.attempts, reusedOf: t.reusedOf, reused: t.reused}
		for p, h := range t.histogram {
			v.p50[p], v.p99[p] = -1, -1
			if h != nil {
				v.p50[p], v.p99[p] = h.quantile(0.5), h.quantile(0.99)
			}
		}
		s.timing = append(s.timing, v)
	}
	return s
}
