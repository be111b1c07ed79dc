package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// maxRecentBad is how many bad datagrams the live view shows with
// --show-bad.
const maxRecentBad = 5

// badSampleLen is how many bytes of a bad datagram --show-bad shows.
const badSampleLen = 200

// lineFormat is what the monitor writes for each event, if anything.
type lineFormat int

const (
	linesNone  lineFormat = iota // the live view: no lines
	linesPlain                   // a line of text per call
	linesJSON                    // every event as a JSON line
)

// monitorOptions configure a monitor.
type monitorOptions struct {
	maxSeries int        // rows tracked, beyond which events count as otherName
	format    lineFormat // what to write to out
	out       io.Writer  // for the lines
	// showBad, with a line format, writes a line for each bad datagram to
	// badOut; in the live view the last few are kept for the frame.
	showBad bool
	badOut  io.Writer
	loc     *time.Location // for the time of day in plain lines
}

// monitor takes the datagrams the receiver reads, counts them, and writes
// what the options ask for. Its methods are safe for concurrent use.
type monitor struct {
	opts monitorOptions
	prom *promMetrics

	mu        sync.Mutex
	datagrams uint64
	bad       map[badReason]uint64
	calls     uint64
	attempts  uint64
	table     *table
	recentBad []string
	lines     *bufio.Writer // nil without a line format
	buf       []byte        // scratch for a line
}

// newMonitor returns a monitor with its Prometheus metrics, counting from
// zero.
func newMonitor(opts monitorOptions) *monitor {
	if opts.loc == nil {
		opts.loc = time.Local
	}
	m := &monitor{
		opts:  opts,
		prom:  newPromMetrics(),
		bad:   make(map[badReason]uint64),
		table: newTable(opts.maxSeries),
	}
	if opts.format != linesNone {
		m.lines = bufio.NewWriterSize(opts.out, 64<<10)
	}
	return m
}

// handle takes one datagram. truncated tells that it was larger than the
// receiver's buffer. data is not kept after handle returns.
func (m *monitor) handle(data []byte, from netip.AddrPort, truncated bool) {
	received := time.Now()
	p := parsed{bad: badTooLarge}
	if !truncated {
		p = parseDatagram(data)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.datagrams++
	m.prom.datagram(p.bad)
	if p.bad != "" {
		m.bad[p.bad]++
		if m.opts.showBad {
			m.reportBad(data, from, p.bad)
		}
	}
	for i := range p.events {
		e := &p.events[i]
		if e.Type == typeAPICall {
			m.calls++
		} else {
			m.attempts++
		}
		k, exception, overflow := m.table.key(e)
		m.table.add(k, exception, e)
		m.prom.observe(k, exception, e, overflow)
		m.writeLine(e, received)
	}
}

// reportBad shows a bad datagram: a line on badOut with a line format,
// else one of the live view's recent ones.
func (m *monitor) reportBad(data []byte, from netip.AddrPort, reason badReason) {
	sample := data
	if len(sample) > badSampleLen {
		sample = sample[:badSampleLen]
	}
	size := fmt.Sprintf("%d bytes", len(data))
	if reason == badTooLarge {
		size = fmt.Sprintf("more than %d bytes", len(data)-1) // the buffer's extra byte
	}
	line := fmt.Sprintf("bad datagram (%s) from %s, %s: %s", reason, from, size, strconv.Quote(string(sample)))
	if len(data) > badSampleLen {
		line += "..."
	}
	if m.opts.format != linesNone {
		fmt.Fprintln(m.opts.badOut, line)
		return
	}
	if len(m.recentBad) == maxRecentBad {
		copy(m.recentBad, m.recentBad[1:])
		m.recentBad = m.recentBad[:maxRecentBad-1]
	}
	m.recentBad = append(m.recentBad, line)
}

// writeLine writes the line for e, received at received, that the format
// asks for. Lines are buffered until flush.
func (m *monitor) writeLine(e *event, received time.Time) {
	switch m.opts.format {
	case linesPlain:
		if e.Type == typeAPICall {
			m.buf = appendCallLine(m.buf[:0], e, m.opts.loc, received)
			m.lines.Write(m.buf)
		}
	case linesJSON:
		m.buf = appendJSONLine(m.buf[:0], e.raw)
		m.lines.Write(m.buf)
	}
}

// flush writes the buffered lines.
func (m *monitor) flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lines == nil {
		return nil
	}
	return m.lines.Flush()
}

// snapshot is what the monitor has counted.
type snapshot struct {
	datagrams uint64
	bad       map[badReason]uint64
	badTotal  uint64
	calls     uint64
	attempts  uint64
	overflow  uint64
	rows      []rowView
	recentBad []string
}

// snapshot returns the counts and the rows.
func (m *monitor) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{
		datagrams: m.datagrams,
		bad:       make(map[badReason]uint64, len(m.bad)),
		calls:     m.calls,
		attempts:  m.attempts,
		overflow:  m.table.overflow,
		rows:      m.table.view(),
		recentBad: append([]string(nil), m.recentBad...),
	}
	for r, n := range m.bad {
		s.bad[r] = n
		s.badTotal += n
	}
	return s
}

// received returns how many datagrams the monitor has taken.
func (m *monitor) received() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.datagrams
}
