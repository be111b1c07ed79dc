package tail

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Flag defaults.
const (
	defaultAddr      = "127.0.0.1"
	defaultPort      = 31000
	defaultInterval  = time.Second
	defaultMaxSeries = 1000

	// maxMaxSeries keeps csmtail under 256 MiB whatever arrives: a series
	// holds up to about 60 KiB while a scrape runs (TestMemoryPerSeries),
	// and a hostile flood at 1500 peaks at 228 MB (docs/csmtail.md).
	maxMaxSeries = 1500
)

// config is what the flags ask for.
type config struct {
	addr        string // the IP address to listen on, without brackets
	port        int    // 0 for any free port
	metricsAddr string // host:port for /metrics, or empty for none
	json        bool
	plain       bool
	showBad     bool
	timing      bool // start the live view on the HTTP timing table
	interval    time.Duration
	maxSeries   int
	dims        []dimension
}

// listenAddr returns the UDP address to listen on.
func (c config) listenAddr() string {
	return net.JoinHostPort(c.addr, strconv.Itoa(c.port))
}

// errUsage is returned by parseFlags after it printed what was asked for,
// the usage (-h) or the version (--version): csmtail exits 0.
var errUsage = errors.New("usage printed")

// usageText comes before the flags in csmtail -h.
const usageText = `csmtail receives AWS SDK Client Side Monitoring (CSM) datagrams over UDP
and shows the calls per Service/Api, or serves them to Prometheus.

Usage:
  csmtail [flags]          listen on 127.0.0.1:31000

In the live view: c, e, l sort by calls, errors, latency; t shows the HTTP
timing; q quits.

Flags (one dash or two):
`

// parseFlags reads the command line. On -h it prints the usage to usage,
// on --version the version, and returns errUsage; any other error names the
// flag and the value.
func parseFlags(args []string, usage io.Writer) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("csmtail", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&c.addr, "addr", defaultAddr, "the `IP` address to listen on: 127.0.0.1, ::1, or 0.0.0.0 or :: for all (firewall the port)")
	port := fs.String("port", strconv.Itoa(defaultPort), "the UDP `port` to listen on, 0 for any free one")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://`host:port`/metrics (e.g. 127.0.0.1:9431)")
	fs.BoolVar(&c.json, "json", false, "write each event as a JSON line (SessionToken redacted, AccessKey masked) instead of the view")
	fs.BoolVar(&c.plain, "plain", false, "write a line per call even when stdout is a terminal")
	fs.BoolVar(&c.showBad, "show-bad", false, "show the datagrams csmtail cannot read (secrets masked)")
	fs.BoolVar(&c.timing, "timing", false, "start the live view on the HTTP timing table (key t)")
	fs.DurationVar(&c.interval, "interval", defaultInterval, "how often the live view refreshes (the interval of its rates) and lines are flushed")
	fs.IntVar(&c.maxSeries, "max-series", defaultMaxSeries, "admit at most `N` Service/Api pairs, N outcome combinations and N rows; more are counted as \"(other)\"")
	by := fs.String("by", "", "split the live view's rows also by `dims`: client, region, sdk (comma-separated)")
	showVersion := fs.Bool("version", false, "print csmtail's version and exit")
	demo := fs.Bool("demo", false, "moved: run go run ./examples/demo in a clone of csm-go")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(usage, usageText)
			fs.SetOutput(usage)
			fs.VisitAll(func(f *flag.Flag) {
				if f.Name == "demo" {
					return
				}
				name, u := flag.UnquoteUsage(f)
				fmt.Fprintf(usage, "  -%s %s\n    \t%s", f.Name, name, u)
				if f.DefValue != "" && f.DefValue != "false" {
					fmt.Fprintf(usage, " (default %s)", f.DefValue)
				}
				fmt.Fprintln(usage)
			})
			return c, errUsage
		}
		return c, err
	}
	if *showVersion {
		fmt.Fprintf(usage, "csmtail %s %s\n", version(), runtime.Version())
		return c, errUsage
	}
	if *demo {
		return c, errors.New("--demo: the demo is its own program now; in a clone of csm-go run: go run ./examples/demo")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: csmtail takes flags only", fs.Arg(0))
	}

	addr := strings.TrimSuffix(strings.TrimPrefix(c.addr, "["), "]")
	if _, err := netip.ParseAddr(addr); err != nil {
		return c, fmt.Errorf("--addr %q: not an IP address (such as 127.0.0.1 or ::1)", c.addr)
	}
	c.addr = addr
	p, err := parsePort(*port)
	if err != nil {
		return c, fmt.Errorf("--port %q: %v", *port, err)
	}
	c.port = p
	if c.metricsAddr != "" {
		_, mport, err := net.SplitHostPort(c.metricsAddr)
		if err != nil {
			return c, fmt.Errorf("--metrics-addr %q: not host:port (such as 127.0.0.1:9431)", c.metricsAddr)
		}
		if _, err := parsePort(mport); err != nil {
			return c, fmt.Errorf("--metrics-addr %q: port %q: %v", c.metricsAddr, mport, err)
		}
	}
	if c.json && c.plain {
		return c, errors.New("--json and --plain: choose one")
	}
	if c.interval <= 0 {
		return c, fmt.Errorf("--interval %v: must be more than 0", c.interval)
	}
	if c.maxSeries < 1 || c.maxSeries > maxMaxSeries {
		return c, fmt.Errorf("--max-series %d: must be from 1 to %d", c.maxSeries, maxMaxSeries)
	}
	if c.dims, err = parseDimensions(*by); err != nil {
		return c, fmt.Errorf("--by %q: %v", *by, err)
	}
	return c, nil
}

// parsePort parses a port number from 0 to 65535.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, errors.New("not a port number from 0 to 65535")
	}
	return p, nil
}
