// Command cpuload measures the CPU that CSM adds to real API calls: the
// whole workload process's user and system time (getrusage: the calling
// goroutine, the reporter's goroutine and every wake-up), with the agent in
// another process, for paced DynamoDB GetItem calls through a stubbed HTTP
// transport at several rates. It compares, in interleaved rounds:
//
//   - aws-sdk-go without CSM (v1-none), with its own aws/csm (v1-aws-sdk-go)
//     and with csm-go's csm package (v1-csm-go);
//   - aws-sdk-go-v2 without CSM (v2-none) and with csmv2 (v2-csmv2);
//   - two references, through x/net's sendmmsg (an ordinary system call,
//     which csm-go's raw one undercuts): aws-sdk-go without CSM, each call
//     followed by one sendmmsg of two ready datagrams (v1-sendmmsg), what
//     writing a call's datagrams when it ends costs with no encoding or
//     queue; and every 32nd call followed by one sendmmsg of the 64 ready
//     datagrams of the last 32 calls (v1-sendmmsg-batched), what batching
//     costs with no goroutine to wake, at the price of exit safety.
//
// The CPU a reporter adds per call is its mode's CPU minus its SDK's
// uninstrumented mode's, divided by the calls. Beside it, the share of the
// datagrams (two per call) that reached the agent, and the p99 of the
// calls' latency. With -callers, each trial's calls come from that many
// goroutines, which share the rate and pace their shares in aligned bursts;
// with -syscalls, perf stat counts each trial's sendmmsg and write system
// calls.
//
//	go run ./cpuload [-rates 100,2000,20000] [-callers 1,16] [-duration 2s] [-min-calls 1000] [-rounds 6] [-syscalls]
//
// With -smoke it runs one short round and prints one line.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// The modes a trial can run.
const (
	modeV1None     = "v1-none"
	modeV1Original = "v1-aws-sdk-go"
	modeV1Ours     = "v1-csm-go"
	modeV1Floor    = "v1-sendmmsg"
	modeV1Batched  = "v1-sendmmsg-batched"
	modeV2None     = "v2-none"
	modeV2Ours     = "v2-csmv2"
)

var allModes = []string{modeV1None, modeV1Original, modeV1Ours, modeV1Floor, modeV1Batched, modeV2None, modeV2Ours}

// result is what a trial's child reports to the parent.
type result struct {
	Calls  int // paced calls, those CPU is measured over
	Warmup int // calls before, whose datagrams the agent counts too
	// DroppedFull and WriteErrors are csm-go's counters (the original
	// keeps none).
	DroppedFull, WriteErrors uint64
	// Deferred is csm-go's count of metrics left to its goroutine.
	Deferred uint64
	// AgentDrops is what the agent's socket dropped, its buffer full: set
	// by the parent.
	AgentDrops int
	CPU        time.Duration // user + system time of the process while pacing and settling
	// P50 and P99 are quantiles of the paced calls' latencies.
	P50, P99 time.Duration
	// Syscalls are the trial process's sendmmsg and write system calls,
	// warm-up and settling included, counted by perf (with -syscalls):
	// set by the parent.
	Sendmmsg, Writes int
}

func main() {
	log.SetFlags(0)
	child := flag.String("child", "", "run one trial of this mode (internal)")
	agentAddr := flag.String("agent", "", "agent address (with -child)")
	rate := flag.Int("rate", 0, "calls per second (with -child)")
	goroutines := flag.Int("goroutines", 1, "calling goroutines (with -child)")
	goroutinesFlag := flag.String("callers", "1", "calling goroutines to measure with, comma-separated; they share the rate, their bursts aligned")
	syscalls := flag.Bool("syscalls", false, "count each trial's sendmmsg and write system calls with perf stat (adds their cost to the CPU figures)")
	ratesFlag := flag.String("rates", "100,2000,20000", "calls per second to measure, comma-separated")
	duration := flag.Duration("duration", 2*time.Second, "how long each trial paces its calls, at least")
	minCalls := flag.Int("min-calls", 1000, "calls each trial makes at least: a low rate's trial lasts longer than -duration")
	rounds := flag.Int("rounds", 6, "interleaved rounds of every mode at every rate")
	modesFlag := flag.String("modes", strings.Join(allModes, ","), "modes to run, comma-separated (the ratios need all)")
	smoke := flag.Bool("smoke", false, "one short round at 100 and 2000 calls/s, one line of output")
	flag.Parse()

	if *child != "" {
		res, err := runTrial(*child, *rate, *goroutines, *duration, *agentAddr)
		if err != nil {
			log.Fatal(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			log.Fatal(err)
		}
		return
	}
	allModes = strings.Split(*modesFlag, ",")
	if *smoke {
		*ratesFlag, *duration, *rounds, *minCalls = "100,2000", time.Second, 1, 100
	}
	rates, callers := ints(*ratesFlag), ints(*goroutinesFlag)

	// samples[point][mode] are the rounds' trials.
	type sample struct {
		perCall   float64 // CPU per call, microseconds
		delivered float64
		p99       float64 // call latency, microseconds
		sendmmsg  float64 // system calls per call (with -syscalls)
		writes    float64
	}
	type point struct{ rate, callers int }
	var points []point
	for _, r := range rates {
		for _, g := range callers {
			points = append(points, point{r, g})
		}
	}
	samples := map[point]map[string][]sample{}
	for round := 0; round < *rounds; round++ {
		for _, pt := range points {
			if samples[pt] == nil {
				samples[pt] = map[string][]sample{}
			}
			for _, mode := range allModes {
				d := *duration
				if need := time.Duration(*minCalls) * time.Second / time.Duration(pt.rate); need > d {
					d = need
				}
				res, received, err := trial(mode, pt.rate, pt.callers, d, *syscalls)
				if err != nil {
					log.Fatal(err)
				}
				all := float64(res.Calls + res.Warmup)
				s := sample{
					perCall:  float64(res.CPU.Microseconds()) / float64(res.Calls),
					p99:      float64(res.P99.Nanoseconds()) / 1e3,
					sendmmsg: float64(res.Sendmmsg) / all,
					writes:   float64(res.Writes) / all,
				}
				if mode != modeV1None && mode != modeV2None {
					s.delivered = float64(received) / float64(2*(res.Calls+res.Warmup))
				}
				samples[pt][mode] = append(samples[pt][mode], s)
				if !*smoke {
					fmt.Fprintf(os.Stderr, "  round %d %6d calls/s %2d callers %-14s %6d calls %8.2f µs CPU/call, p50 %d p99 %d µs, %d of %d datagrams (queue full %d, deferred %d, write errors %d, agent's buffer full %d)",
						round+1, pt.rate, pt.callers, mode, res.Calls, s.perCall, res.P50.Microseconds(), res.P99.Microseconds(),
						received, 2*(res.Calls+res.Warmup), res.DroppedFull, res.Deferred, res.WriteErrors, res.AgentDrops)
					if *syscalls {
						fmt.Fprintf(os.Stderr, ", per call: sendmmsg %.3f, write %.3f", s.sendmmsg, s.writes)
					}
					fmt.Fprintln(os.Stderr)
				}
			}
		}
	}

	// added returns, for each round, what a mode added per call over its
	// baseline in the same round.
	added := func(pt point, mode, base string, of func(sample) float64) []float64 {
		var out []float64
		for i := range samples[pt][mode] {
			out = append(out, of(samples[pt][mode][i])-of(samples[pt][base][i]))
		}
		return out
	}
	values := func(pt point, mode string, of func(sample) float64) []float64 {
		var out []float64
		for _, s := range samples[pt][mode] {
			out = append(out, of(s))
		}
		return out
	}
	cpu := func(s sample) float64 { return s.perCall }
	p99 := func(s sample) float64 { return s.p99 }
	ratio := func(a, b []float64) []float64 {
		var out []float64
		for i := range a {
			out = append(out, a[i]/b[i])
		}
		return out
	}
	minDelivered := func(pt point, mode string) float64 {
		m := 1.0
		for _, s := range samples[pt][mode] {
			if s.delivered < m {
				m = s.delivered
			}
		}
		return m
	}
	for _, mode := range []string{modeV1None, modeV1Original, modeV1Ours, modeV2None, modeV2Ours} {
		if len(samples[points[0]][mode]) == 0 {
			return // the ratios need these
		}
	}
	if *smoke {
		var parts []string
		for _, pt := range points {
			orig, v1, v2 := added(pt, modeV1Original, modeV1None, cpu), added(pt, modeV1Ours, modeV1None, cpu), added(pt, modeV2Ours, modeV2None, cpu)
			parts = append(parts, fmt.Sprintf("%d/s: v1 %.1f µs (%.0f%% delivered), v2 %.1f µs (%.0f%%), original %.1f µs (%.0f%%)",
				pt.rate, v1[0], 100*minDelivered(pt, modeV1Ours), v2[0], 100*minDelivered(pt, modeV2Ours), orig[0], 100*minDelivered(pt, modeV1Original)))
		}
		fmt.Println("cpuload smoke: added CPU per call: " + strings.Join(parts, "; "))
		return
	}
	fmt.Printf("added CPU per call (µs), median [min–max] of %d interleaved rounds, trials of at least %v and %d calls; delivered = lowest share of datagrams received\n", *rounds, *duration, *minCalls)
	fmt.Printf("%8s %7s  %-22s %-22s %-22s %-18s %-18s %9s %9s %9s\n", "calls/s", "callers", "aws-sdk-go aws/csm", "csm-go (v1)", "csmv2 (v2)",
		"v1 / original", "v2 / original", "orig del", "v1 del", "v2 del")
	for _, pt := range points {
		orig, v1, v2 := added(pt, modeV1Original, modeV1None, cpu), added(pt, modeV1Ours, modeV1None, cpu), added(pt, modeV2Ours, modeV2None, cpu)
		fmt.Printf("%8d %7d  %-22s %-22s %-22s %-18s %-18s %8.2f%% %8.2f%% %8.2f%%\n", pt.rate, pt.callers,
			spread(orig, "%.1f"), spread(v1, "%.1f"), spread(v2, "%.1f"), spread(ratio(v1, orig), "%.2f"), spread(ratio(v2, orig), "%.2f"),
			100*minDelivered(pt, modeV1Original), 100*minDelivered(pt, modeV1Ours), 100*minDelivered(pt, modeV2Ours))
	}
	fmt.Printf("call latency p99 (µs), median [min–max] of the rounds; added = p99 minus its SDK's p99 without CSM in the same round\n")
	fmt.Printf("%8s %7s  %-20s %-20s %-20s %-20s %-20s %-18s %-18s\n", "calls/s", "callers", "v1 without CSM", "v2 without CSM",
		"aws/csm added", "csm-go added", "csmv2 added", "csm-go / aws/csm", "csmv2 / aws/csm")
	for _, pt := range points {
		orig, v1, v2 := added(pt, modeV1Original, modeV1None, p99), added(pt, modeV1Ours, modeV1None, p99), added(pt, modeV2Ours, modeV2None, p99)
		origP99 := values(pt, modeV1Original, p99)
		fmt.Printf("%8d %7d  %-20s %-20s %-20s %-20s %-20s %-18s %-18s\n", pt.rate, pt.callers,
			spread(values(pt, modeV1None, p99), "%.0f"), spread(values(pt, modeV2None, p99), "%.0f"),
			spread(orig, "%.0f"), spread(v1, "%.0f"), spread(v2, "%.0f"),
			spread(ratio(values(pt, modeV1Ours, p99), origP99), "%.2f"), spread(ratio(values(pt, modeV2Ours, p99), origP99), "%.2f"))
	}
	if *syscalls {
		fmt.Printf("system calls per call, counted by perf over the whole trial process (warm-up and settling included), median [min–max]\n")
		fmt.Printf("%8s %7s  %-20s %-22s %-22s\n", "calls/s", "callers", "mode", "sendmmsg", "write")
		for _, pt := range points {
			for _, mode := range allModes {
				fmt.Printf("%8d %7d  %-20s %-22s %-22s\n", pt.rate, pt.callers, mode,
					spread(values(pt, mode, func(s sample) float64 { return s.sendmmsg }), "%.3f"),
					spread(values(pt, mode, func(s sample) float64 { return s.writes }), "%.3f"))
			}
		}
	}
	floors := []struct{ mode, what string }{
		{modeV1Floor, "one sendmmsg of two ready datagrams after each v1 call"},
		{modeV1Batched, "one sendmmsg of 64 ready datagrams after every 32nd v1 call"},
	}
	for _, f := range floors {
		if len(samples[points[0]][f.mode]) == 0 {
			continue
		}
		fmt.Printf("reference, %s: added CPU per call (µs), and its ratio to the original's\n", f.what)
		for _, pt := range points {
			floor := added(pt, f.mode, modeV1None, cpu)
			fmt.Printf("%8d %7d  %-22s %-18s\n", pt.rate, pt.callers, spread(floor, "%.1f"), spread(ratio(floor, added(pt, modeV1Original, modeV1None, cpu)), "%.2f"))
		}
	}
}

// ints parses a comma-separated list of positive integers.
func ints(list string) []int {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			log.Fatalf("bad number %q in %q", s, list)
		}
		out = append(out, n)
	}
	return out
}

// spread formats the median and range of xs.
func spread(xs []float64, format string) string {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf(format+" ["+format+"–"+format+"]", med, s[0], s[len(s)-1])
}

// trial runs one child and returns its result and the datagrams the agent
// received from it.
func trial(mode string, rate, callers int, d time.Duration, syscalls bool) (result, int, error) {
	agent, err := newAgent()
	if err != nil {
		return result{}, 0, err
	}
	defer agent.Close()
	args := []string{"-child", mode, "-rate", strconv.Itoa(rate), "-goroutines", strconv.Itoa(callers),
		"-duration", d.String(), "-agent", agent.Addr()}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	var perfOut bytes.Buffer
	if syscalls {
		cmd = exec.Command("perf", append([]string{"stat", "-x", ",", "-e", "syscalls:sys_enter_sendmmsg,syscalls:sys_enter_write", "--", os.Args[0]}, args...)...)
		cmd.Stderr = &perfOut
	}
	out, err := cmd.Output()
	if err != nil {
		return result{}, 0, fmt.Errorf("%s at %d calls/s: %w", mode, rate, err)
	}
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		return result{}, 0, fmt.Errorf("%s at %d calls/s: %w: %q", mode, rate, err, out)
	}
	for _, line := range strings.Split(perfOut.String(), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		n, _ := strconv.Atoi(f[0])
		switch f[2] {
		case "syscalls:sys_enter_sendmmsg":
			res.Sendmmsg = n
		case "syscalls:sys_enter_write":
			res.Writes = n
		}
	}
	received := settle(agent)
	res.AgentDrops, _ = agent.KernelDrops()
	return res, received, nil
}

// newAgent starts an agent on 127.0.0.1 that counts what it receives.
func newAgent() (*reporttest.Agent, error) {
	a, err := reporttest.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a.KeepDatagrams(false)
	return a, nil
}

// settle returns the agent's count once no datagram arrived for 100 ms:
// the child has exited, so what is in the socket's buffer is all there will
// be.
func settle(a *reporttest.Agent) int {
	last := a.Len()
	for {
		time.Sleep(100 * time.Millisecond)
		n := a.Len()
		if n == last {
			return n
		}
		last = n
	}
}

// cpuTime returns the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pace calls call rate times a second for d, in a burst every tick (a
// millisecond, or the time between two calls if longer), and returns how
// many calls it made.
func pace(rate int, d time.Duration, call func()) int {
	tick := time.Millisecond
	if every := time.Second / time.Duration(rate); every > tick {
		tick = every
	}
	start := time.Now()
	calls := 0
	for next := start; next.Sub(start) < d; next = next.Add(tick) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		due := int(int64(rate) * int64(next.Sub(start)+tick) / int64(time.Second))
		for ; calls < due; calls++ {
			call()
		}
	}
	return calls
}
