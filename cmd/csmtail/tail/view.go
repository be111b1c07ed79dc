package tail

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// liveRows is how many rows the live view shows when the terminal's size
// is not known; the final summary shows them all.
const liveRows = 30

// ANSI sequences for the live view: home, clear to the end of the line,
// clear below.
const (
	ansiHome      = "\x1b[H"
	ansiClearLine = "\x1b[K"
	ansiClearDown = "\x1b[J"
)

// sortKey is the order of the live view's rows.
type sortKey int

const (
	sortCalls   sortKey = iota // calls per second, then calls
	sortErrors                 // errors in the last interval, then errors
	sortLatency                // p99 over the window
)

// sortNames name the sort keys in the header.
var sortNames = map[sortKey]string{sortCalls: "calls", sortErrors: "errors", sortLatency: "latency"}

// liveView renders the aggregator's counts as frames. It is used by one
// goroutine.
type liveView struct {
	dims   []dimension
	cols   []column[callRow]
	title  string
	start  time.Time
	sort   sortKey
	timing bool // show the HTTP timing table instead of the calls

	prevAt    time.Time
	prevCalls map[rowKey][2]uint64 // calls and errors at prevAt
}

// newLiveView returns a view of rows split by dims, titled title, that
// counts its elapsed time from start.
func newLiveView(dims []dimension, title string, start time.Time) *liveView {
	return &liveView{dims: dims, cols: callColumns(dims), title: title, start: start}
}

// key handles a key press; it reports false for q (quit).
func (v *liveView) key(k byte) bool {
	switch k {
	case 'q', 'Q', 3, 4: // q, Ctrl-C and Ctrl-D in raw mode
		return false
	case 'c':
		v.sort = sortCalls
	case 'e':
		v.sort = sortErrors
	case 'l':
		v.sort = sortLatency
	case 't':
		v.timing = !v.timing
	}
	return true
}

// callRows returns the rows with the rates since the previous call at
// now, sorted by the view's key, and remembers the totals for the next.
func (v *liveView) callRows(s viewSnapshot, now time.Time) []callRow {
	rows := make([]callRow, len(s.rows))
	elapsed := now.Sub(v.prevAt).Seconds()
	next := make(map[rowKey][2]uint64, len(s.rows))
	for i, r := range s.rows {
		c := callRow{rowView: r, rate: -1, errPct: -1}
		if v.prevCalls != nil && elapsed > 0 {
			prev := v.prevCalls[r.key]
			calls, errs := r.calls-prev[0], r.errors-prev[1]
			c.rate = float64(calls) / elapsed
			c.newErr = errs
			if calls > 0 {
				c.errPct = 100 * float64(errs) / float64(calls)
			}
		}
		next[r.key] = [2]uint64{r.calls, r.errors}
		rows[i] = c
	}
	v.prevAt, v.prevCalls = now, next
	sortCallRows(rows, v.sort)
	return rows
}

// sortCallRows sorts rows by key, ties by name.
func sortCallRows(rows []callRow, key sortKey) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		switch key {
		case sortErrors:
			if a.newErr != b.newErr {
				return a.newErr > b.newErr
			}
			if a.errors != b.errors {
				return a.errors > b.errors
			}
		case sortLatency:
			if a.p99 != b.p99 {
				return a.p99 > b.p99
			}
		}
		if a.rate != b.rate {
			return a.rate > b.rate
		}
		if a.calls != b.calls {
			return a.calls > b.calls
		}
		if a.attempts != b.attempts {
			return a.attempts > b.attempts
		}
		return strings.Join(a.key[:], "\x00") < strings.Join(b.key[:], "\x00")
	})
}

// timingRows returns the timing rows, the most attempts first.
func timingRows(s viewSnapshot) []timingView {
	rows := append([]timingView(nil), s.timing...)
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.attempts != b.attempts {
			return a.attempts > b.attempts
		}
		if a.pair.service != b.pair.service {
			return a.pair.service < b.pair.service
		}
		return a.pair.api < b.pair.api
	})
	return rows
}

// frame returns one frame of the live view, width characters wide (0 for
// no limit) with at most limit rows of the table (0 for all).
func (v *liveView) frame(c counts, s viewSnapshot, now time.Time, width, limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  up %s\n", v.title, formatElapsed(now.Sub(v.start)))
	writeCounts(&b, c)
	what := "calls; sort by " + sortNames[v.sort] + ": [c]alls [e]rrors [l]atency"
	if v.timing {
		what = "HTTP timing per Service/Api since the start, p50/p99 per phase"
	}
	fmt.Fprintf(&b, "%s  [t]iming [q]uit\n\n", what)
	v.writeTable(&b, s, now, width, limit)
	if len(s.recentBad) > 0 {
		b.WriteString("\nlast bad datagrams:\n")
		for _, line := range s.recentBad {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

// writeTable writes the calls or timing table, and a line that counts the
// rows past limit.
func (v *liveView) writeTable(b *strings.Builder, s viewSnapshot, now time.Time, width, limit int) {
	if v.timing {
		rows := timingRows(s)
		more := cutRows(&rows, limit)
		writeColumns(b, timingColumns, cells(timingColumns, rows), width)
		writeMore(b, more)
		switch {
		case len(rows) == 0:
			b.WriteString("no attempts yet\n")
		case !anyTimed(s.timing):
			b.WriteString("\n" + timingOff)
		}
		return
	}
	rows := v.callRows(s, now)
	more := cutRows(&rows, limit)
	writeColumns(b, v.cols, cells(v.cols, rows), width)
	writeMore(b, more)
}

// cutRows keeps the first limit rows (all if limit is 0) and returns how
// many it cut.
func cutRows[R any](rows *[]R, limit int) int {
	if limit <= 0 || len(*rows) <= limit {
		return 0
	}
	more := len(*rows) - limit
	*rows = (*rows)[:limit]
	return more
}

func writeMore(b *strings.Builder, more int) {
	if more > 0 {
		fmt.Fprintf(b, "... and %d more\n", more)
	}
}

// writeCounts writes the counts of what was received:
//
//	12 datagrams (1 bad: not_json 1), 5 calls, 7 attempts
func writeCounts(b *strings.Builder, c counts) {
	fmt.Fprintf(b, "%d datagrams (%d bad", c.datagrams, c.badTotal)
	sep := ": "
	for _, r := range badReasons {
		if n := c.bad[r]; n > 0 {
			fmt.Fprintf(b, "%s%s %d", sep, r, n)
			sep = ", "
		}
	}
	fmt.Fprintf(b, "), %d calls, %d attempts", c.calls, c.attempts)
	if c.kernelDrops > 0 {
		fmt.Fprintf(b, ", %d dropped by the kernel", c.kernelDrops)
	}
	b.WriteString("\n")
	var missed []string
	for _, name := range []string{"view", "lines", "prometheus"} {
		if n := c.missed[name]; n > 0 {
			missed = append(missed, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(missed) > 0 {
		fmt.Fprintf(b, "datagrams missed by outputs that fell behind: %s\n", strings.Join(missed, ", "))
	}
	if c.folded > 0 {
		fmt.Fprintf(b, "%d events past a limit counted as %s\n", c.folded, otherName)
	}
}

// formatElapsed formats the time since the start: "42s", "3m05s", "2h03m".
func formatElapsed(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// summary returns csmtail's last words: the counts and every row, the
// calls table then, if some attempts were timed, the timing table, laid
// out for width characters (0 for no limit).
func (v *liveView) summary(c counts, s viewSnapshot, now time.Time, width int) string {
	var b strings.Builder
	b.WriteString("csmtail summary: ")
	writeCounts(&b, c)
	if len(s.rows) > 0 {
		b.WriteString("\n")
		v.sort = sortCalls
		v.prevCalls = nil // no rates: the totals are what counts
		rows := v.callRows(s, now)
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].calls > rows[j].calls })
		cols := v.cols
		writeColumns(&b, summaryColumns(cols), cells(summaryColumns(cols), rows), width)
	}
	if anyTimed(s.timing) {
		b.WriteString("\nHTTP timing:\n")
		rows := timingRows(s)
		writeColumns(&b, timingColumns, cells(timingColumns, rows), width)
	}
	return b.String()
}

// timingOff is what the timing view says when no attempt carries the HTTP
// timing fields: how to turn them on.
const timingOff = `No attempt carries HTTP timing fields; csm-go adds them when asked: run the
program with AWS_CSM_HTTP_TIMING=true (or csm_http_timing = true in its AWS
config file), or call SetHTTPTiming(true) on its reporter.
`

// anyTimed reports whether some attempt of rows carried HTTP timing fields.
func anyTimed(rows []timingView) bool {
	for _, t := range rows {
		if t.reusedOf > 0 {
			return true
		}
		for _, p50 := range t.p50 {
			if p50 >= 0 {
				return true
			}
		}
	}
	return false
}

// summaryColumns leaves out the columns of the last interval, shows the
// percentiles since the start, and keeps the totals of retries and
// attempts and the exceptions, which the live view drops first when it
// is narrow: the summary is what stays on the screen.
func summaryColumns(cols []column[callRow]) []column[callRow] {
	var out []column[callRow]
	for _, c := range cols {
		switch c.header {
		case "CALLS/S", "ERR%":
			continue
		case "RETRIES", "ATTEMPTS", "EXCEPTIONS":
			c.drop, c.keep = 0, true
		case "P50":
			c.cell = func(r *callRow) string { return formatQuantile(r.all50) }
		case "P90":
			c.cell = func(r *callRow) string { return formatQuantile(r.all90) }
		case "P99":
			c.cell = func(r *callRow) string { return formatQuantile(r.all99) }
		}
		out = append(out, c)
	}
	return out
}

// terminalFrame returns a frame that replaces the previous one in place:
// from the top left of the screen, each line cut to width characters (if
// width is more than 0) so that none wraps, and cleared to its end, and
// what is below the frame cleared. Lines end in "\r\n", as a terminal in
// raw mode needs.
func terminalFrame(frame string, width int) []byte {
	var b bytes.Buffer
	b.WriteString(ansiHome)
	for _, line := range strings.SplitAfter(frame, "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimSuffix(line, "\n")
		if width > 0 && utf8.RuneCountInString(line) > width {
			line = string([]rune(line)[:width])
		}
		b.WriteString(line)
		b.WriteString(ansiClearLine + "\r\n")
	}
	b.WriteString(ansiClearDown)
	return b.Bytes()
}
