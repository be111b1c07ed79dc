package main

import (
	"sort"
	"unicode/utf8"
)

// otherName stands for the Service/Api pairs and the exception names past
// the limits: their events are counted under it.
const otherName = "(other)"

// maxNameLen is the length in bytes to which names (Service, Api,
// exceptions) are cut, as the CSM reporter cuts them.
const maxNameLen = 128

// maxExceptionNames bounds the distinct exception names kept; the others
// are counted as otherName.
const maxExceptionNames = 100

// nameSet admits up to limit distinct names.
type nameSet struct {
	limit int
	seen  map[string]struct{}
}

// newNameSet returns an empty set that admits up to limit names.
func newNameSet(limit int) *nameSet {
	return &nameSet{limit: limit, seen: make(map[string]struct{})}
}

// admit returns name if it is known or there is room for it, else
// otherName and false.
func (s *nameSet) admit(name string) (string, bool) {
	if _, ok := s.seen[name]; ok {
		return name, true
	}
	if len(s.seen) >= s.limit {
		return otherName, false
	}
	s.seen[name] = struct{}{}
	return name, true
}

// clip cuts s to maxNameLen bytes, between characters.
func clip(s string) string {
	if len(s) <= maxNameLen {
		return s
	}
	i := maxNameLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// seriesKey names one row: a Service/Api pair.
type seriesKey struct {
	service, api string
}

// row holds what the live view shows for one Service/Api pair.
type row struct {
	calls           uint64
	attempts        uint64
	retries         uint64 // attempts after the first, from the calls' AttemptCount
	errors          uint64 // calls that failed
	retriesExceeded uint64
	exceptions      map[string]uint64 // failed calls by exception
	latency         latencyHistogram  // of the calls
}

// table holds the rows, at most max of them plus the otherName row.
type table struct {
	series     *nameSet
	exceptions *nameSet
	rows       map[seriesKey]*row
	// overflow counts the events counted in the otherName row because
	// the table was full.
	overflow uint64
}

// newTable returns an empty table of at most maxSeries rows (and the
// otherName one).
func newTable(maxSeries int) *table {
	return &table{
		series:     newNameSet(maxSeries),
		exceptions: newNameSet(maxExceptionNames),
		rows:       make(map[seriesKey]*row),
	}
}

// key returns the row key of an event's Service and Api, and the
// exception name it is counted under ("" for none): names cut to their
// limit, or otherName past the limits. overflow tells that the pair was
// counted as otherName because the table was full.
func (t *table) key(e *event) (k seriesKey, exception string, overflow bool) {
	k = seriesKey{clip(e.Service), clip(e.API)}
	if _, ok := t.series.admit(k.service + "\x00" + k.api); !ok {
		k = seriesKey{otherName, otherName}
		t.overflow++
		overflow = true
	}
	_, exception = e.status()
	if exception != "" {
		exception, _ = t.exceptions.admit(clip(exception))
	}
	return k, exception, overflow
}

// add counts an event under its key and exception, as key returned them.
func (t *table) add(k seriesKey, exception string, e *event) {
	r := t.rows[k]
	if r == nil {
		r = &row{exceptions: make(map[string]uint64)}
		t.rows[k] = r
	}
	if e.Type == typeAPICallAttempt {
		r.attempts++
		return
	}
	r.calls++
	if e.AttemptCount > 1 {
		r.retries += uint64(e.AttemptCount - 1)
	}
	if e.MaxRetriesExceeded != 0 {
		r.retriesExceeded++
	}
	if e.failed() {
		r.errors++
		if exception == "" {
			exception = "HTTP " + statusLabel(e.FinalHTTPStatusCode)
		}
		r.exceptions[exception]++
	}
	r.latency.add(e.Latency)
}

// rowView is a row as the view shows it.
type rowView struct {
	service, api    string
	calls           uint64
	attempts        uint64
	retries         uint64
	errors          uint64
	retriesExceeded uint64
	p50, p90, p99   int64 // milliseconds, -1 without calls
	exceptions      []nameCount
}

// nameCount is an exception and how many calls failed with it.
type nameCount struct {
	name  string
	count uint64
}

// view returns the rows, those with the most calls first.
func (t *table) view() []rowView {
	rows := make([]rowView, 0, len(t.rows))
	for k, r := range t.rows {
		v := rowView{
			service: k.service, api: k.api,
			calls: r.calls, attempts: r.attempts, retries: r.retries,
			errors: r.errors, retriesExceeded: r.retriesExceeded,
			p50: r.latency.quantile(0.50),
			p90: r.latency.quantile(0.90),
			p99: r.latency.quantile(0.99),
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
		rows = append(rows, v)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.calls != b.calls {
			return a.calls > b.calls
		}
		if a.attempts != b.attempts {
			return a.attempts > b.attempts
		}
		if a.service != b.service {
			return a.service < b.service
		}
		return a.api < b.api
	})
	return rows
}
