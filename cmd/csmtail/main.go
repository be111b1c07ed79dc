// Command csmtail receives the AWS SDK Client Side Monitoring (CSM)
// datagrams that csm-go, and the AWS SDKs' own CSM, send over UDP, and
// shows per Service/Api the calls, attempts, retries, errors by exception
// and latency percentiles; it can serve the same counts to Prometheus.
//
// Usage:
//
//	csmtail [flags]
//	go run ./cmd/csmtail --demo     # from a clone of csm-go: everything on loopback
//
// It listens on 127.0.0.1:31000, the agent address the SDKs default to.
// On a terminal it shows a live table, refreshed in place; when stdout is
// not a terminal (or with --plain) it writes a line per call instead, and
// with --json every event as a JSON line, with the value of SessionToken
// replaced by "REDACTED" (a token is a credential). On SIGINT or SIGTERM
// it prints a summary and exits 0.
//
// --demo needs no AWS account and no network: it listens on a free
// loopback port, starts a fake AWS on another, makes aws-sdk-go calls
// through the csm package and aws-sdk-go-v2 calls through the csmv2
// package (successes, retries, throttling, errors, a refused connection)
// for --demo-duration, shows them, and exits 0 once
// csmtail has received every datagram the reporter sent (1 if some never
// came). It ignores this machine's AWS_ environment variables and
// ~/.aws files.
//
// The flags:
//
//	--addr IP             the address to listen on: 127.0.0.1 (default), ::1, 0.0.0.0, :: (an IP, never a name)
//	--port N              the UDP port (default 31000; 0 for any free one)
//	--metrics-addr H:P    serve Prometheus metrics on http://H:P/metrics
//	--json                write each event as a JSON line, its SessionToken redacted
//	--plain               a line per call even on a terminal
//	--show-bad            show the datagrams csmtail cannot read
//	--interval D          refresh period of the live view (default 1s)
//	--max-series N        the most Service/Api pairs tracked (default 1000)
//	--demo                drive real SDK clients against a local fake AWS, show it, exit
//	--demo-duration D     how long --demo makes calls (default 5s)
//
// # What it accepts
//
// A datagram may hold one JSON object, a JSON array of objects, or objects
// separated by newlines, up to 64 KiB. Each object is an event: its Type
// is ApiCall or ApiCallAttempt; unknown fields are ignored. A datagram
// that is empty, larger than 64 KiB (cut by the kernel), not JSON, has a
// known field of the wrong JSON type, or an object without a known Type,
// is counted as bad under that reason (the first one met) and shown with
// --show-bad; the good objects beside a bad one still count.
//
// # The view
//
// CALLS and ATTEMPTS count the ApiCall and ApiCallAttempt events; RETRIES
// adds up the calls' AttemptCount beyond the first attempt; ERRORS counts
// the calls that ended with an exception or an HTTP status of 400 or more,
// and EXCEPTIONS names the most frequent ones ("HTTP 503" for an error
// status without an exception). P50, P90 and P99 are the calls' latency
// percentiles, from a fixed histogram per row (2.7 KiB): exact below 16 ms,
// within 3.2% above. At most --max-series Service/Api pairs and 100
// exception names are tracked; the others are counted as "(other)".
//
// # Prometheus
//
// With --metrics-addr, /metrics has, labeled by service, api, status (the
// final HTTP status code, "none" without a response) and exception (empty
// for none):
//
//	csm_api_calls_total{service,api,status,exception}
//	csm_api_call_attempts_total{service,api,status,exception}
//	csm_api_call_latency_seconds{service,api}            histogram
//	csm_api_call_attempt_latency_seconds{service,api}    histogram
//	csm_api_call_retries_exceeded_total{service,api}
//	csmtail_datagrams_total
//	csmtail_bad_datagrams_total{reason}     empty, too_large, not_json, wrong_type, unknown_type
//	csmtail_events_total{type}              ApiCall, ApiCallAttempt
//	csmtail_overflow_events_total           events counted as "(other)"
//
// and the Go and process metrics of csmtail itself. The access key and the
// session token are never shown, nor used as labels.
//
// The kernel drops datagrams that do not fit in the socket's receive
// buffer; csmtail asks for 8 MiB, which Linux caps at net.core.rmem_max.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	fd := int(os.Stdout.Fd())
	code := run(ctx, os.Args[1:], environment{
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		terminal: term.IsTerminal(fd),
		termSize: func() (int, int, error) { return term.GetSize(fd) },
	})
	stop()
	os.Exit(code)
}

// environment is what run takes from the process.
type environment struct {
	stdout, stderr io.Writer
	terminal       bool // stdout is a terminal: show the live view
	// termSize returns the terminal's width and height, to fit the live
	// view in; nil or an error for no limit.
	termSize func() (width, height int, err error)
	// demoConn, when set, is the socket --demo receives on instead of a
	// new one (tests: the process's CSM reporter sends to one address).
	demoConn *net.UDPConn
}

// fit returns the width to cut the live view's lines to (0 for no limit)
// and how many rows of the table fit in the terminal.
func (env environment) fit() (width, rows int) {
	if env.termSize == nil {
		return 0, liveRows
	}
	w, h, err := env.termSize()
	if err != nil || w <= 0 || h <= 0 {
		return 0, liveRows
	}
	// Around the rows: the title, the counts, a blank line, the header,
	// the "... and N more" line, and a last line for the cursor.
	return w, max(h-6, 1)
}

// run runs csmtail with the command-line arguments args until ctx ends (or
// the demo does), and returns the exit code: 0, 1 for a failure, 2 for bad
// flags.
func run(ctx context.Context, args []string, env environment) int {
	cfg, err := parseFlags(args, env.stdout)
	switch {
	case errors.Is(err, errUsage):
		return 0
	case err != nil:
		fmt.Fprintf(env.stderr, "csmtail: %v\n(csmtail -h lists the flags)\n", err)
		return 2
	}
	if err := serve(ctx, cfg, env); err != nil {
		fmt.Fprintf(env.stderr, "csmtail: %v\n", err)
		return 1
	}
	return 0
}

// serve receives until ctx ends, or runs the demo, then writes the summary.
// It returns once every goroutine it started has stopped.
func serve(ctx context.Context, cfg config, env environment) error {
	format := linesNone
	switch {
	case cfg.json:
		format = linesJSON
	case cfg.plain || !env.terminal:
		format = linesPlain
	}

	var dem *demo
	if cfg.demo {
		var err error
		if dem, err = startDemo(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer dem.close()
	}

	conn := env.demoConn
	if conn == nil {
		addr := cfg.listenAddr()
		if cfg.demo {
			addr = "127.0.0.1:0"
		}
		var err error
		if conn, err = listenUDP(addr); err != nil {
			return fmt.Errorf("listen on udp %s: %w", addr, err)
		}
		defer conn.Close()
	}

	var metrics net.Listener
	if cfg.metricsAddr != "" {
		var err error
		if metrics, err = net.Listen("tcp", cfg.metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr %q: %w", cfg.metricsAddr, err)
		}
	}

	mon := newMonitor(monitorOptions{
		maxSeries: cfg.maxSeries,
		format:    format,
		out:       env.stdout,
		showBad:   cfg.showBad,
		badOut:    env.stderr,
	})

	where := "udp " + conn.LocalAddr().String()
	if metrics != nil {
		where += ", metrics on http://" + metrics.Addr().String() + "/metrics"
	}
	if dem != nil {
		where += fmt.Sprintf("; demo: %s calling a fake AWS at %s for %v", driverNames(), dem.target.endpoint, cfg.demoDuration)
	}
	if format != linesNone {
		// stdout is for the lines; the live view shows where in its title.
		fmt.Fprintln(env.stderr, "csmtail: listening on "+where)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
		cancel()
	}

	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := (receiver{conn: conn, max: maxDatagram}).run(ctx, mon.handle); err != nil {
			fail(fmt.Errorf("read udp: %w", err))
		}
	}()
	if metrics != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serveMetrics(ctx, metrics, mon.prom.reg); err != nil {
				fail(fmt.Errorf("serve metrics: %w", err))
			}
		}()
	}
	if format == linesNone {
		fmt.Fprint(env.stdout, "\x1b[2J") // clear the screen once
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		refresh(ctx, cfg.interval, func() {
			if format != linesNone {
				_ = mon.flush()
				return
			}
			s := mon.snapshot()
			width, rows := env.fit()
			if len(s.recentBad) > 0 { // and their title and the blank line above
				rows = max(rows-len(s.recentBad)-2, 1)
			}
			var frame bytes.Buffer
			writeFrame(&frame, "csmtail: listening on "+where+"  (Ctrl-C to stop)", s, rows)
			_, _ = env.stdout.Write(terminalFrame(frame.Bytes(), width))
		})
	}()

	var demoLine string
	if dem != nil {
		line, err := runDemo(ctx, dem, conn.LocalAddr().String(), cfg.demoDuration, mon)
		if err != nil {
			fail(fmt.Errorf("demo: %w", err))
		}
		demoLine = line
		cancel()
	}
	<-ctx.Done()
	wg.Wait()

	// The summary: in place of the live view's last frame, after the
	// lines, or on stderr when stdout has JSON.
	_ = mon.flush()
	s := mon.snapshot()
	switch format {
	case linesNone:
		var frame bytes.Buffer
		writeFrame(&frame, "csmtail: stopped listening on "+where, s, 0)
		_, _ = env.stdout.Write(terminalFrame(frame.Bytes(), 0))
	case linesPlain:
		fmt.Fprintln(env.stdout)
		writeSummary(env.stdout, s)
	case linesJSON:
		writeSummary(env.stderr, s)
	}
	if demoLine != "" {
		if format == linesJSON {
			fmt.Fprintln(env.stderr, demoLine)
		} else {
			fmt.Fprintln(env.stdout, demoLine)
		}
	}
	return errors.Join(errs...)
}

// runDemo makes the demo's calls, reported to agent, waits until the
// monitor has received every datagram the reporters sent, and returns the
// line that says so, or an error if some never came.
func runDemo(ctx context.Context, dem *demo, agent string, duration time.Duration, mon *monitor) (string, error) {
	sent, err := dem.run(ctx, agent, duration)
	if err != nil {
		return "", err
	}
	// The datagrams are on their way through loopback: a sync point, not
	// a measured delay.
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for mon.received() < sent {
		select {
		case <-ctx.Done():
			return "", nil // interrupted: no verdict
		case <-deadline.C:
			return "", fmt.Errorf("the reporters sent %d datagrams, csmtail received %d", sent, mon.received())
		case <-tick.C:
		}
	}
	return fmt.Sprintf("demo: %s sent %d datagrams through csm-go; csmtail received %d", driverNames(), sent, mon.received()), nil
}
