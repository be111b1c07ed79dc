package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// liveRows is how many rows the live view shows; the final summary shows
// them all.
const liveRows = 30

// shownExceptions is how many exceptions a row shows, the most frequent
// first.
const shownExceptions = 3

// ANSI sequences for the live view: home, clear to the end of the line,
// clear below.
const (
	ansiHome      = "\x1b[H"
	ansiClearLine = "\x1b[K"
	ansiClearDown = "\x1b[J"
)

// tableHeader names the columns of the table.
var tableHeader = []string{"SERVICE", "API", "CALLS", "ATTEMPTS", "RETRIES", "ERRORS", "P50", "P90", "P99", "EXCEPTIONS"}

// rightAligned tells the columns of numbers.
var rightAligned = []bool{false, false, true, true, true, true, true, true, true, false}

// writeTable writes rows as an aligned table, the first limit of them (all
// if limit is 0) and a line that counts the others.
func writeTable(w io.Writer, rows []rowView, limit int) {
	more := 0
	if limit > 0 && len(rows) > limit {
		more = len(rows) - limit
		rows = rows[:limit]
	}
	cells := [][]string{tableHeader}
	for _, r := range rows {
		cells = append(cells, []string{
			printable(r.service), printable(r.api),
			strconv.FormatUint(r.calls, 10),
			strconv.FormatUint(r.attempts, 10),
			strconv.FormatUint(r.retries, 10),
			strconv.FormatUint(r.errors, 10),
			formatQuantile(r.p50), formatQuantile(r.p90), formatQuantile(r.p99),
			formatExceptions(r.exceptions),
		})
	}
	widths := make([]int, len(tableHeader))
	for _, line := range cells {
		for i, c := range line {
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	for _, line := range cells {
		b.Reset()
		for i, c := range line {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if rightAligned[i] {
				b.WriteString(pad)
				b.WriteString(c)
			} else {
				b.WriteString(c)
				b.WriteString(pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	if more > 0 {
		fmt.Fprintf(w, "... and %d more\n", more)
	}
}

// formatQuantile formats a percentile of the latency with no more digits
// than the histogram's precision gives: "41ms", "1.50s", "12.3s", "2m5s";
// "-" when there is none.
func formatQuantile(ms int64) string {
	switch {
	case ms < 0:
		return "-"
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

// formatExceptions formats the first few exceptions as "Name:count".
func formatExceptions(ex []nameCount) string {
	var parts []string
	for i, e := range ex {
		if i == shownExceptions {
			parts = append(parts, fmt.Sprintf("+%d more", len(ex)-shownExceptions))
			break
		}
		parts = append(parts, printable(e.name)+":"+strconv.FormatUint(e.count, 10))
	}
	return strings.Join(parts, " ")
}

// writeCounts writes the one-line count of what was received:
//
//	12 datagrams (1 bad: not_json 1), 5 calls, 7 attempts
func writeCounts(w io.Writer, s snapshot) {
	fmt.Fprintf(w, "%d datagrams (%d bad", s.datagrams, s.badTotal)
	sep := ": "
	for _, r := range badReasons {
		if n := s.bad[r]; n > 0 {
			fmt.Fprintf(w, "%s%s %d", sep, r, n)
			sep = ", "
		}
	}
	fmt.Fprintf(w, "), %d calls, %d attempts\n", s.calls, s.attempts)
	if s.overflow > 0 {
		fmt.Fprintf(w, "%d events past --max-series counted as %s\n", s.overflow, otherName)
	}
}

// writeSummary writes the counts and every row: csmtail's last words.
func writeSummary(w io.Writer, s snapshot) {
	fmt.Fprint(w, "csmtail summary: ")
	writeCounts(w, s)
	if len(s.rows) > 0 {
		fmt.Fprintln(w)
		writeTable(w, s.rows, 0)
	}
}

// writeFrame writes one frame of the live view: a title, the counts, the
// busiest rows and the last bad datagrams kept.
func writeFrame(w io.Writer, title string, s snapshot, limit int) {
	fmt.Fprintln(w, title)
	writeCounts(w, s)
	fmt.Fprintln(w)
	writeTable(w, s.rows, limit)
	if len(s.recentBad) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "last bad datagrams:")
		for _, line := range s.recentBad {
			fmt.Fprintln(w, "  "+line)
		}
	}
}

// terminalFrame returns a frame that replaces the previous one in place:
// from the top left of the screen, each line cut to width characters (if
// width is more than 0) so that none wraps, and cleared to its end, and
// what is below the frame cleared.
func terminalFrame(frame []byte, width int) []byte {
	var b bytes.Buffer
	b.WriteString(ansiHome)
	for _, line := range bytes.SplitAfter(frame, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if width > 0 && utf8.RuneCount(line) > width {
			line = []byte(string([]rune(string(line))[:width]))
		}
		b.Write(line)
		b.WriteString(ansiClearLine + "\n")
	}
	b.WriteString(ansiClearDown)
	return b.Bytes()
}

// refresh calls f every interval until ctx ends.
func refresh(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
