package tail

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// column is a column of a table: the view's columns are registered in
// callColumns and timingColumns, and the layout fits them to the terminal.
type column[R any] struct {
	header string
	right  bool // a column of numbers
	// name marks a column of names, which the layout shortens with an
	// ellipsis when the table is too wide.
	name bool
	// drop is the order in which the layout drops columns that do not
	// fit, highest first; 0 for never.
	drop int
	// flex marks the last column, which gets what width is left.
	flex bool
	// keep marks a column the layout never removes: a flexible one
	// shrinks to minFlexWidth at most, then the others make room.
	keep bool
	cell func(r *R) string
	// short, if not nil, gives a narrower form of a cell, which the
	// layout uses before it shortens names or drops columns.
	short func(cell string) string
}

// minNameWidth is the narrowest a name column gets.
const minNameWidth = 8

// minFlexWidth is the narrowest the flexible column is shown at.
const minFlexWidth = 12

// layout returns the columns to show, their widths, and whether their
// cells take their short form, for a table of cells (the header first) in
// width characters (0 for no limit).
func layout[R any](cols []column[R], cells [][]string, width int) (shown []int, widths []int, short []bool) {
	natural := make([]int, len(cols))
	for _, line := range cells {
		for i, c := range line {
			natural[i] = max(natural[i], utf8.RuneCountInString(c))
		}
	}
	short = make([]bool, len(cols))
	shown = make([]int, 0, len(cols))
	for i := range cols {
		shown = append(shown, i)
	}
	widths = append([]int(nil), natural...)
	if width <= 0 {
		return shown, widths, short
	}
	total := func() int {
		t := 0
		for _, i := range shown {
			t += widths[i]
		}
		return t + 2*(len(shown)-1)
	}
	remove := func(i int) {
		for j, k := range shown {
			if k == i {
				shown = append(shown[:j], shown[j+1:]...)
				return
			}
		}
	}
	shortened := false
	for total() > width {
		// First the flexible column shrinks.
		if f := flexColumn(cols, shown); f >= 0 && (!cols[f].keep || widths[f] > minFlexWidth) {
			over := total() - width
			switch {
			case widths[f]-over >= minFlexWidth:
				widths[f] -= over
			case cols[f].keep:
				widths[f] = minFlexWidth
			default:
				remove(f)
			}
			continue
		}
		// Then cells take their short forms.
		if !shortened {
			shortened = true
			if shortForms(cols, cells, shown, widths, short) {
				continue
			}
		}
		// Names shorten to shortName, then columns go in their drop
		// order, then names shorten to minNameWidth.
		if shorten(cols, shown, widths, shortName, total()-width) {
			continue
		}
		drop := -1
		for _, i := range shown {
			if cols[i].drop > 0 && (drop < 0 || cols[i].drop > cols[drop].drop) {
				drop = i
			}
		}
		if drop >= 0 {
			remove(drop)
			continue
		}
		if !shorten(cols, shown, widths, minNameWidth, total()-width) {
			break // the terminal cuts the rest
		}
	}
	return shown, widths, short
}

// shortForms sets the columns among shown that have a short form to it,
// with the width of their widest short cell (or header), and reports
// whether there were any.
func shortForms[R any](cols []column[R], cells [][]string, shown, widths []int, short []bool) bool {
	found := false
	for _, i := range shown {
		if cols[i].short == nil {
			continue
		}
		found, short[i] = true, true
		widths[i] = 0
		for n, line := range cells {
			c := line[i]
			if n > 0 {
				c = cols[i].short(c)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	return found
}

// shortName is how short the layout makes names before it drops columns.
const shortName = 16

// shorten shortens the widest name column among shown by up to over
// characters, down to floor, and reports whether it could.
func shorten[R any](cols []column[R], shown, widths []int, floor, over int) bool {
	widest := -1
	for _, i := range shown {
		if cols[i].name && widths[i] > floor && (widest < 0 || widths[i] > widths[widest]) {
			widest = i
		}
	}
	if widest < 0 {
		return false
	}
	widths[widest] = max(floor, widths[widest]-over)
	return true
}

// flexColumn returns the flexible column among shown, or -1.
func flexColumn[R any](cols []column[R], shown []int) int {
	for _, i := range shown {
		if cols[i].flex {
			return i
		}
	}
	return -1
}

// writeColumns writes cells (the header first) laid out for width to b,
// lines ending in "\n".
func writeColumns[R any](b *strings.Builder, cols []column[R], cells [][]string, width int) {
	shown, widths, short := layout(cols, cells, width)
	for row, line := range cells {
		var l strings.Builder
		for n, i := range shown {
			c := line[i]
			if short[i] && row > 0 {
				c = cols[i].short(c)
			}
			c = fitText(c, widths[i])
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if n > 0 {
				l.WriteString("  ")
			}
			if cols[i].right {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
}

// fitText cuts s to width characters, the last one an ellipsis.
func fitText(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	return string([]rune(s)[:width-1]) + "…"
}

// cells returns the header and a line of cells per row.
func cells[R any](cols []column[R], rows []R) [][]string {
	out := make([][]string, 0, len(rows)+1)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.header
	}
	out = append(out, header)
	for i := range rows {
		line := make([]string, len(cols))
		for j, c := range cols {
			line[j] = c.cell(&rows[i])
		}
		out = append(out, line)
	}
	return out
}

// callRow is a row of the calls table: the aggregator's counts and the
// rates of the last interval.
type callRow struct {
	rowView
	rate   float64 // calls per second over the last interval; -1 before the first
	errPct float64 // percent of the last interval's calls that failed; -1 without calls
	newErr uint64  // errors in the last interval
}

// callColumns returns the calls table's columns for the dimensions dims.
func callColumns(dims []dimension) []column[callRow] {
	var cols []column[callRow]
	for _, d := range dims {
		col := column[callRow]{
			header: strings.ToUpper(dimensionNames[d]),
			name:   true,
			cell:   func(r *callRow) string { return printable(r.key[d]) },
		}
		if d == dimSDK {
			col.cell = func(r *callRow) string { return sdkLabel(printable(r.key[d])) }
			col.short = sdkShort
		}
		cols = append(cols, col)
	}
	return append(cols,
		column[callRow]{header: "CALLS/S", right: true, cell: func(r *callRow) string { return formatRate(r.rate) }},
		column[callRow]{header: "ERR%", right: true, cell: func(r *callRow) string { return formatPercent(r.errPct) }},
		column[callRow]{header: "P50", right: true, cell: func(r *callRow) string { return formatQuantile(r.p50) }},
		column[callRow]{header: "P90", right: true, drop: 3, cell: func(r *callRow) string { return formatQuantile(r.p90) }},
		column[callRow]{header: "P99", right: true, cell: func(r *callRow) string { return formatQuantile(r.p99) }},
		column[callRow]{header: "CALLS", right: true, cell: func(r *callRow) string { return strconv.FormatUint(r.calls, 10) }},
		column[callRow]{header: "ERRORS", right: true, cell: func(r *callRow) string { return strconv.FormatUint(r.errors, 10) }},
		column[callRow]{header: "RETRIES", right: true, drop: 4, cell: func(r *callRow) string { return strconv.FormatUint(r.retries, 10) }},
		column[callRow]{header: "ATTEMPTS", right: true, drop: 5, cell: func(r *callRow) string { return strconv.FormatUint(r.attempts, 10) }},
		column[callRow]{header: "EXCEPTIONS", flex: true, cell: func(r *callRow) string { return formatExceptions(r.exceptions) }},
	)
}

// sdkLabel returns how the SDK column shows the product/version token of a
// User-Agent: "go 1.55.8" for "aws-sdk-go/1.55.8", "go-v2 1.48.0" for
// "aws-sdk-go-v2/1.48.0", so that the two stay apart however narrow the
// column; other SDKs keep their product's name.
func sdkLabel(sdk string) string {
	return strings.Replace(strings.TrimPrefix(sdk, "aws-sdk-"), "/", " ", 1)
}

// sdkShort is the short form of an SDK label: "go-v2" without its version.
func sdkShort(label string) string {
	short, _, _ := strings.Cut(label, " ")
	return short
}

// timingColumns are the HTTP timing table's columns.
var timingColumns = func() []column[timingView] {
	cols := []column[timingView]{
		{header: "SERVICE", name: true, cell: func(r *timingView) string { return printable(r.pair.service) }},
		{header: "API", name: true, cell: func(r *timingView) string { return printable(r.pair.api) }},
		{header: "ATTEMPTS", right: true, drop: 2, cell: func(r *timingView) string { return strconv.FormatUint(r.attempts, 10) }},
		{header: "REUSED", right: true, cell: func(r *timingView) string {
			if r.reusedOf == 0 {
				return "-"
			}
			return formatPercent(100 * float64(r.reused) / float64(r.reusedOf))
		}},
	}
	for _, p := range []phase{phaseDNS, phaseTCP, phaseTLS, phaseAcquire, phaseRequest} {
		header := map[phase]string{phaseDNS: "DNS", phaseTCP: "TCP", phaseTLS: "TLS", phaseAcquire: "ACQUIRE", phaseRequest: "REQUEST"}[p]
		cols = append(cols, column[timingView]{header: header, right: true, cell: func(r *timingView) string {
			if r.p50[p] < 0 {
				return "-"
			}
			return strings.TrimSuffix(formatQuantile(r.p50[p]), "ms") + "/" + formatQuantile(r.p99[p])
		}})
	}
	return cols
}()

// formatRate formats calls per second: "12.5", "1234"; "-" before the
// first interval.
func formatRate(r float64) string {
	switch {
	case r < 0:
		return "-"
	case r < 100:
		return strconv.FormatFloat(r, 'f', 1, 64)
	default:
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
}

// formatPercent formats a percentage: "0%", "12.5%", "100%"; "-" for none.
func formatPercent(p float64) string {
	switch {
	case p < 0:
		return "-"
	case p == 0 || p >= 99.95:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
}

// formatQuantile formats a percentile of the latency with no more digits
// than the histogram's precision gives: "41ms", "1.50s", "12.3s", "2m5s";
// "<1ms" for 0, as the lines write a latency of 0 (the SDKs send whole
// milliseconds, rounded down); "-" when there is none.
func formatQuantile(ms int64) string {
	switch {
	case ms < 0:
		return "-"
	case ms == 0:
		return "<1ms"
	case ms < 1000:
		return strconv.FormatInt(ms, 10) + "ms"
	case ms < 10000:
		return strconv.FormatFloat(float64(ms)/1000, 'f', 2, 64) + "s"
	case ms < 100000:
		return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + "s"
	default:
		return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
	}
}

// shownExceptions is how many exceptions a row shows, the most frequent
// first.
const shownExceptions = 3

// formatExceptions formats the first few exceptions as "Name:count".
func formatExceptions(ex []nameCount) string {
	var parts []string
	for i, e := range ex {
		if i == shownExceptions {
			parts = append(parts, "+"+strconv.Itoa(len(ex)-shownExceptions)+" more")
			break
		}
		parts = append(parts, printable(e.name)+":"+strconv.FormatUint(e.count, 10))
	}
	return strings.Join(parts, " ")
}
