//go:build linux

// Command csmtailbench measures how many CSM datagrams per second csmtail
// receives, and the CPU it spends on each, against a bare receive loop in
// the same run (Linux only). It runs every receiver and the sender in a
// process of its own:
//
//   - a paced sender (this program, -child send) writes typical ApiCall
//     datagrams (about 311 bytes, 8 APIs) at a fixed rate for a fixed time,
//     in bursts every millisecond, with sendmmsg;
//   - the receivers: "bare", a Go loop that reads a datagram per call and
//     does nothing with it; "ingest", internal/ingest's receive loop
//     (recvmmsg) with a handler that does nothing; and csmtail itself,
//     "plain" (--plain) and "json" (--json), with --metrics-addr and its
//     stdout going to /dev/null.
//
// For each round, rate and receiver, in that order of loops (the receivers
// interleaved), it starts the receiver, reads its CPU time (utime+stime in
// /proc/PID/stat), runs the sender, waits 200 ms for the receiver to drain
// its socket, reads the CPU time and the count received (csmtail's
// /metrics, or the bare loop's own count), then ends the receiver with
// SIGTERM. It prints a line per trial, then per rate and receiver the
// median and range of the share received and of the CPU per datagram
// received, and per receiver the highest rate whose median share is at
// least 99.9%.
//
// With -flood "FLAGS" it instead runs csmtail with FLAGS, sends it hostile
// datagrams (40 events each, every name new) as fast as it can for
// -duration while scraping its /metrics every 100 ms, and prints csmtail's
// peak resident memory (VmHWM).
//
// Usage, from the repository root:
//
//	flock /tmp/bench.lock go run ./tools/csmtailbench -rounds 6
//	go run ./tools/csmtailbench -flood "--plain --by client,region,sdk --max-series 1500" -duration 10s
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	child := flag.String("child", "", "internal: run as the sender (send) or a bare receiver (bare, ingest)")
	addr := flag.String("addr", "", "internal: the sender's destination")
	rate := flag.Int("rate", 0, "internal: the sender's datagrams per second")
	duration := flag.Duration("duration", 2*time.Second, "how long the sender sends, per trial")
	rounds := flag.Int("rounds", 6, "rounds of every rate and receiver")
	ratesFlag := flag.String("rates", "30000,50000,100000,150000,200000", "offered rates, datagrams per second, comma-separated")
	modesFlag := flag.String("modes", "bare,ingest,plain,json", "receivers, comma-separated: bare, ingest, plain, json")
	csmtail := flag.String("csmtail", "", "the csmtail program (default: built from the working tree)")
	floodArgs := flag.String("flood", "", "instead: send csmtail, run with these flags (space-separated), hostile datagrams for -duration while scraping it, and print its peak RSS")
	flag.Parse()

	var err error
	switch *child {
	case "send":
		err = send(*addr, *rate, *duration)
	case "bare":
		err = receiveBare()
	case "ingest":
		err = receiveIngest()
	case "":
		if *floodArgs != "" {
			err = withCsmtail(*csmtail, func(bin string) error { return flood(bin, strings.Fields(*floodArgs), *duration) })
			break
		}
		err = harness(*ratesFlag, *modesFlag, *rounds, *duration, *csmtail)
	default:
		err = fmt.Errorf("-child %q: use send, bare or ingest", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "csmtailbench:", err)
		os.Exit(1)
	}
}

// trial is one receiver's result at one rate.
type trial struct {
	mode      string
	rate      int
	sent      uint64
	received  uint64
	cpu       time.Duration // the receiver's, from the sender's start to 200 ms after its end
	dropsSeen uint64        // the kernel's drops, as csmtail counted them
}

func (t trial) share() float64 { return float64(t.received) / float64(t.sent) }

func (t trial) perDatagram() float64 {
	if t.received == 0 {
		return 0
	}
	return float64(t.cpu.Microseconds()) / float64(t.received)
}

func harness(ratesFlag, modesFlag string, rounds int, duration time.Duration, csmtail string) error {
	var rates []int
	for _, s := range strings.Split(ratesFlag, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", s)
		}
		rates = append(rates, r)
	}
	modes := strings.Split(modesFlag, ",")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return withCsmtail(csmtail, func(csmtail string) error {
		return runAll(self, csmtail, rates, modes, rounds, duration)
	})
}

// withCsmtail calls f with the csmtail program: csmtail, or one built from
// the working tree if it is empty.
func withCsmtail(csmtail string, f func(string) error) error {
	if csmtail == "" {
		dir, err := os.MkdirTemp("", "csmtailbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		csmtail = filepath.Join(dir, "csmtail")
		if out, err := exec.Command("go", "build", "-o", csmtail, "github.com/opencsm/csm-go/cmd/csmtail").CombinedOutput(); err != nil {
			return fmt.Errorf("go build csmtail: %v\n%s", err, out)
		}
	}
	return f(csmtail)
}

// runAll runs every trial and prints the summary.
func runAll(self, csmtail string, rates []int, modes []string, rounds int, duration time.Duration) error {
	fmt.Printf("csmtailbench: %d rounds, %v per trial, rates %v, receivers %v, GOMAXPROCS of the receivers: the default\n", rounds, duration, rates, modes)
	var all []trial
	for round := 1; round <= rounds; round++ {
		for _, rate := range rates {
			for _, mode := range modes {
				t, err := runTrial(self, csmtail, mode, rate, duration)
				if err != nil {
					return fmt.Errorf("round %d, %s at %d/s: %w", round, mode, rate, err)
				}
				fmt.Printf("round %d %-6s %7d/s: sent %d, received %.2f%%, %.2f µs CPU per datagram, kernel drops %d\n",
					round, mode, rate, t.sent, 100*t.share(), t.perDatagram(), t.dropsSeen)
				all = append(all, t)
			}
		}
	}
	summarize(all, rates, modes)
	return nil
}

// summarize prints per rate and receiver the medians and ranges, and per
// receiver the highest rate at 99.9%.
func summarize(all []trial, rates []int, modes []string) {
	fmt.Println()
	fmt.Println("rate/s   receiver  received: median [min, max]      CPU µs/datagram: median [min, max]")
	best := map[string]int{}
	for _, rate := range rates {
		for _, mode := range modes {
			var shares, cpus []float64
			for _, t := range all {
				if t.mode == mode && t.rate == rate {
					shares = append(shares, 100*t.share())
					cpus = append(cpus, t.perDatagram())
				}
			}
			ms := median(shares)
			fmt.Printf("%7d  %-8s  %7.2f%% [%.2f, %.2f]          %6.2f [%.2f, %.2f]\n",
				rate, mode, ms, minOf(shares), maxOf(shares), median(cpus), minOf(cpus), maxOf(cpus))
			if ms >= 99.9 && rate > best[mode] {
				best[mode] = rate
			}
		}
	}
	fmt.Println()
	for _, mode := range modes {
		fmt.Printf("highest rate with a median of at least 99.9%% received: %-6s %d/s\n", mode, best[mode])
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// receiverProc is a receiver's process.
type receiverProc struct {
	cmd     *exec.Cmd
	udp     string
	metrics string // csmtail's /metrics URL
	out     *bufio.Reader
}

// startReceiver starts the receiver of mode and waits until it listens.
func startReceiver(self, csmtail, mode string) (*receiverProc, error) {
	p := &receiverProc{}
	switch mode {
	case "bare", "ingest":
		p.cmd = exec.Command(self, "-child", mode)
		out, err := p.cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		p.cmd.Stderr = os.Stderr
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		p.out = bufio.NewReader(out)
		line, err := p.out.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("%s receiver: %w", mode, err)
		}
		p.udp = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	case "plain", "json":
		p.cmd = exec.Command(csmtail, "--"+mode, "--port", "0", "--metrics-addr", "127.0.0.1:0")
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		defer devnull.Close()
		p.cmd.Stdout = devnull
		errs, err := p.cmd.StderrPipe()
		if err != nil {
			return nil, err
		}
		if err := p.cmd.Start(); err != nil {
			return nil, err
		}
		p.out = bufio.NewReader(errs)
		line, err := p.out.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("csmtail: %w", err)
		}
		m := regexp.MustCompile(`listening on udp (\S+), metrics on (\S+)`).FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("csmtail said %q", line)
		}
		p.udp, p.metrics = m[1], m[2]
		go func() { _, _ = io.Copy(io.Discard, p.out) }() // the summary (--json)
	default:
		return nil, fmt.Errorf("unknown receiver %q: use bare, ingest, plain or json", mode)
	}
	return p, nil
}

// runTrial measures one receiver at one rate.
func runTrial(self, csmtail, mode string, rate int, duration time.Duration) (trial, error) {
	t := trial{mode: mode, rate: rate}
	p, err := startReceiver(self, csmtail, mode)
	if err != nil {
		return t, err
	}
	defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
	cpu0, err := processCPU(p.cmd.Process.Pid)
	if err != nil {
		return t, err
	}
	out, err := exec.Command(self, "-child", "send", "-addr", p.udp, "-rate", strconv.Itoa(rate), "-duration", duration.String()).Output()
	if err != nil {
		return t, fmt.Errorf("sender: %w", err)
	}
	if _, err := fmt.Sscanf(string(out), "sent %d", &t.sent); err != nil {
		return t, fmt.Errorf("sender said %q", out)
	}
	time.Sleep(200 * time.Millisecond) // the receiver drains its socket
	cpu1, err := processCPU(p.cmd.Process.Pid)
	if err != nil {
		return t, err
	}
	t.cpu = cpu1 - cpu0
	switch mode {
	case "bare", "ingest":
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return t, err
		}
		line, err := p.out.ReadString('\n')
		if err != nil {
			return t, err
		}
		if _, err := fmt.Sscanf(line, "received %d", &t.received); err != nil {
			return t, fmt.Errorf("receiver said %q", line)
		}
	default:
		m, err := scrape(p.metrics)
		if err != nil {
			return t, err
		}
		t.received, t.dropsSeen = uint64(m["csmtail_datagrams_total"]), uint64(m["csmtail_kernel_drops_total"])
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return t, err
		}
	}
	return t, nil
}

// processCPU returns the CPU time of process pid, user and system, from
// /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, in parentheses: utime is the
	// 14th field of the line, stime the 15th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}

// scrape returns the samples without labels, and the sums of those with
// labels, of a Prometheus text exposition.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		m[name] += v
	}
	return m, sc.Err()
}

// waitForTerm returns a context that ends on SIGTERM.
func waitForTerm() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM)
}

// listen opens the bare receivers' socket, with csmtail's buffer size.
func listen() (*net.UDPConn, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(8 << 20)
	fmt.Printf("listening on %s\n", conn.LocalAddr())
	return conn, nil
}
