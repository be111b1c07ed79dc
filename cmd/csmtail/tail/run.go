package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Env is what Run takes from its process.
type Env struct {
	// Stdout gets the live view or the lines, Stderr the messages (and
	// the summary when Stdout has JSON).
	Stdout, Stderr io.Writer
	// Terminal tells that Stdout is a terminal: show the live view.
	Terminal bool
	// TermSize returns the terminal's width and height, to fit the live
	// view in; nil or an error for no limit.
	TermSize func() (width, height int, err error)
	// Keys, if not nil, gives the live view's key presses (c, e, l, t,
	// q); MakeRaw, if not nil, puts the terminal in raw mode for them and
	// returns what restores it.
	Keys    io.Reader
	MakeRaw func() (restore func(), err error)
	// Conn, if not nil, is the socket to receive on instead of the one
	// --addr and --port name; Run does not close it.
	Conn *net.UDPConn
	// Ready, if not nil, is called once csmtail receives.
	Ready func(*Receiver)
}

// Receiver tells a running csmtail's address and counts.
type Receiver struct {
	addr  net.Addr
	stats *receiveStats
}

// Addr returns the UDP address csmtail receives on.
func (r *Receiver) Addr() net.Addr { return r.addr }

// Received returns how many datagrams csmtail has received, good and bad.
func (r *Receiver) Received() uint64 { return r.stats.datagrams.Load() }

// Run runs csmtail with the command-line arguments args until ctx ends or
// q is pressed in the live view, and returns the exit code: 0, 1 for a
// failure, 2 for bad flags.
func Run(ctx context.Context, args []string, env Env) int {
	cfg, err := parseFlags(args, env.Stdout)
	switch {
	case errors.Is(err, errUsage):
		return 0
	case err != nil:
		fmt.Fprintf(env.Stderr, "csmtail: %v\n(csmtail -h lists the flags)\n", err)
		return 2
	}
	if err := serve(ctx, cfg, env); err != nil {
		fmt.Fprintf(env.Stderr, "csmtail: %v\n", err)
		return 1
	}
	return 0
}

// fit returns the width to cut the live view's lines to (0 for no limit)
// and how many rows of the table fit in the terminal.
func (env Env) fit() (width, rows int) {
	if env.TermSize == nil {
		return 0, liveRows
	}
	w, h, err := env.TermSize()
	if err != nil || w <= 0 || h <= 0 {
		return 0, liveRows
	}
	// Around the rows: the title, the counts, the keys, a blank line, the
	// header, the "... and N more" line, and a last line for the cursor;
	// and two lines the counts may take.
	return w, max(h-9, 1)
}

// serve receives until ctx ends (or q), then writes the summary. It
// returns once every goroutine it started has stopped.
func serve(ctx context.Context, cfg config, env Env) error {
	live := !cfg.json && !cfg.plain && env.Terminal

	conn := env.Conn
	if conn == nil {
		addr := cfg.listenAddr()
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

	stats := &receiveStats{}
	pipe := newPipeline(newAdmitter(cfg.dims, cfg.maxSeries), stats, cfg.json, cfg.showBad)
	agg := newAggregator()
	pipe.add("view", agg)
	var reg = newRegistry(newReceiveCollector(stats, pipe, cfg.maxSeries))
	pipe.add("prometheus", newPromSink(reg))
	if !live {
		format := linesPlain
		if cfg.json {
			format = linesJSON
		}
		var badOut io.Writer
		if cfg.showBad {
			badOut = env.Stderr
		}
		pipe.add("lines", newLinesSink(format, env.Stdout, badOut, nil))
	}

	where := "udp " + conn.LocalAddr().String()
	if metrics != nil {
		where += ", metrics on http://" + metrics.Addr().String() + "/metrics"
	}
	if !live {
		// stdout is for the lines; the live view shows where in its title.
		fmt.Fprintln(env.Stderr, "csmtail: listening on "+where)
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

	start := time.Now()
	pipe.start(cfg.interval)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := (receiver{conn: conn, max: maxDatagram, stats: stats}).run(ctx, pipe); err != nil {
			fail(fmt.Errorf("read udp: %w", err))
		}
	}()
	if metrics != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serveMetrics(ctx, metrics, reg); err != nil {
				fail(fmt.Errorf("serve metrics: %w", err))
			}
		}()
	}
	view := newLiveView(cfg.dims, "csmtail "+version()+": "+where, start)
	view.timing = cfg.timing
	countsNow := func() counts {
		c := stats.snapshot()
		c.missed = pipe.missed()
		return c
	}
	if live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runLive(ctx, cancel, cfg.interval, view, agg, countsNow, env)
		}()
	}
	if env.Ready != nil {
		env.Ready(&Receiver{addr: conn.LocalAddr(), stats: stats})
	}

	<-ctx.Done()
	// csmtail ends within a second whatever its outputs do: it waits for
	// its goroutines and sinks until exitGrace has passed, drops and
	// counts what a stuck sink holds, and gives the summary finalGrace
	// more. A write that never returns is left behind: the process exits.
	giveUp := make(chan struct{})
	timer := time.AfterFunc(exitGrace, func() { close(giveUp) })
	defer timer.Stop()
	stuck := !waitOrGiveUp(&wg, giveUp)
	if !pipe.stopBy(giveUp) { // the receive loop has stopped: the sinks take the rest
		stuck = true
	}

	now := time.Now()
	width := 0
	if live {
		// On the terminal, in place of the last frame, and as wide as it.
		width, _ = env.fit()
	}
	summary := view.summary(countsNow(), agg.snapshot(now), now, width)
	var out io.Writer
	var text []byte
	switch {
	case stuck:
		// Stdout, or the terminal, did not take what was written: the
		// summary goes to stderr.
		out, text = env.Stderr, []byte(summary)
	case live:
		out, text = env.Stdout, terminalFrame(summary, width)
	case cfg.json:
		out, text = env.Stderr, []byte(summary)
	default:
		out, text = env.Stdout, []byte("\n"+summary)
	}
	writeWithin(out, text, finalGrace)
	return errors.Join(errs...)
}

// exitGrace is how long csmtail, once told to stop, waits for its outputs
// to take what is pending; finalGrace, how long it then gives the summary.
// Together they keep the exit under a second whatever the outputs do.
const (
	exitGrace  = 500 * time.Millisecond
	finalGrace = 300 * time.Millisecond
)

// waitOrGiveUp waits for wg until giveUp is closed, and reports whether wg
// was done.
func waitOrGiveUp(wg *sync.WaitGroup, giveUp <-chan struct{}) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-giveUp:
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// writeWithin writes b to w, waiting for the write at most d.
func writeWithin(w io.Writer, b []byte, d time.Duration) {
	done := make(chan struct{})
	go func() {
		_, _ = w.Write(b)
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// runLive draws the live view every interval and on each key until ctx
// ends; q ends it by calling quit.
func runLive(ctx context.Context, quit context.CancelFunc, interval time.Duration, view *liveView, agg *aggregator, countsNow func() counts, env Env) {
	keys := make(chan byte, 16)
	if env.Keys != nil {
		if env.MakeRaw != nil {
			if restore, err := env.MakeRaw(); err == nil {
				defer restore()
			}
		}
		// The reader goroutine ends with the process: a read from a
		// terminal cannot be interrupted.
		go readKeys(env.Keys, keys)
	}
	draw := func() {
		now := time.Now()
		width, rows := env.fit()
		s := agg.snapshot(now)
		if len(s.recentBad) > 0 { // and their title and the blank line above
			rows = max(rows-len(s.recentBad)-2, 1)
		}
		_, _ = env.Stdout.Write(terminalFrame(view.frame(countsNow(), s, now, width, rows), width))
	}
	_, _ = io.WriteString(env.Stdout, "\x1b[2J") // clear the screen once
	draw()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			draw()
		case k := <-keys:
			if !view.key(k) {
				quit()
				return
			}
			// Redraw at once, with the rates of the interval so far.
			draw()
		}
	}
}

// readKeys sends each byte read from r to keys, until r fails.
func readKeys(r io.Reader, keys chan<- byte) {
	buf := make([]byte, 16)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			keys <- b
		}
		if err != nil {
			return
		}
	}
}
