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
// datagrams (two per call) that reached the agent.
//
//	go run ./cpuload [-rates 100,2000,20000] [-duration 2s] [-min-calls 1000] [-rounds 6]
//
// With -smoke it runs one short round and prints one line.
package main

import (
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
	// AgentDrops is what the agent's socket dropped, its buffer full: set
	// by the parent.
	AgentDrops int
	CPU        time.Duration // user + system time of the process while pacing and settling
}

func main() {
	log.SetFlags(0)
	child := flag.String("child", "", "run one trial of this mode (internal)")
	agentAddr := flag.String("agent", "", "agent address (with -child)")
	rate := flag.Int("rate", 0, "calls per second (with -child)")
	ratesFlag := flag.String("rates", "100,2000,20000", "calls per second to measure, comma-separated")
	duration := flag.Duration("duration", 2*time.Second, "how long each trial paces its calls, at least")
	minCalls := flag.Int("min-calls", 1000, "calls each trial makes at least: a low rate's trial lasts longer than -duration")
	rounds := flag.Int("rounds", 6, "interleaved rounds of every mode at every rate")
	modesFlag := flag.String("modes", strings.Join(allModes, ","), "modes to run, comma-separated (the ratios need all)")
	smoke := flag.Bool("smoke", false, "one short round at 100 and 2000 calls/s, one line of output")
	flag.Parse()

	if *child != "" {
		res, err := runTrial(*child, *rate, *duration, *agentAddr)
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
	var rates []int
	for _, s := range strings.Split(*ratesFlag, ",") {
		r, err := strconv.Atoi(s)
		if err != nil {
			log.Fatalf("bad rate %q", s)
		}
		rates = append(rates, r)
	}

	// samples[rate][mode] are the rounds' trials.
	type sample struct {
		perCall   float64 // CPU per call, microseconds
		delivered float64
	}
	samples := map[int]map[string][]sample{}
	for round := 0; round < *rounds; round++ {
		for _, r := range rates {
			if samples[r] == nil {
				samples[r] = map[string][]sample{}
			}
			for _, mode := range allModes {
				d := *duration
				if need := time.Duration(*minCalls) * time.Second / time.Duration(r); need > d {
					d = need
				}
				res, received, err := trial(mode, r, d)
				if err != nil {
					log.Fatal(err)
				}
				s := sample{perCall: float64(res.CPU.Microseconds()) / float64(res.Calls)}
				if mode != modeV1None && mode != modeV2None {
					s.delivered = float64(received) / float64(2*(res.Calls+res.Warmup))
				}
				samples[r][mode] = append(samples[r][mode], s)
				if !*smoke {
					fmt.Fprintf(os.Stderr, "  round %d %6d calls/s %-14s %6d calls %8.2f µs CPU/call, %d of %d datagrams (queue full %d, write errors %d, agent's buffer full %d)\n",
						round+1, r, mode, res.Calls, s.perCall, received, 2*(res.Calls+res.Warmup), res.DroppedFull, res.WriteErrors, res.AgentDrops)
				}
			}
		}
	}

	// added returns, for each round, the CPU a mode added per call over
	// its baseline in the same round.
	added := func(r int, mode, base string) []float64 {
		var out []float64
		for i := range samples[r][mode] {
			out = append(out, samples[r][mode][i].perCall-samples[r][base][i].perCall)
		}
		return out
	}
	ratio := func(a, b []float64) []float64 {
		var out []float64
		for i := range a {
			out = append(out, a[i]/b[i])
		}
		return out
	}
	minDelivered := func(r int, mode string) float64 {
		m := 1.0
		for _, s := range samples[r][mode] {
			if s.delivered < m {
				m = s.delivered
			}
		}
		return m
	}
	for _, mode := range []string{modeV1None, modeV1Original, modeV1Ours, modeV2None, modeV2Ours} {
		if len(samples[rates[0]][mode]) == 0 {
			return // the ratios need these
		}
	}
	if *smoke {
		var parts []string
		for _, r := range rates {
			orig, v1, v2 := added(r, modeV1Original, modeV1None), added(r, modeV1Ours, modeV1None), added(r, modeV2Ours, modeV2None)
			parts = append(parts, fmt.Sprintf("%d/s: v1 %.1f µs (%.0f%% delivered), v2 %.1f µs (%.0f%%), original %.1f µs (%.0f%%)",
				r, v1[0], 100*minDelivered(r, modeV1Ours), v2[0], 100*minDelivered(r, modeV2Ours), orig[0], 100*minDelivered(r, modeV1Original)))
		}
		fmt.Println("cpuload smoke: added CPU per call: " + strings.Join(parts, "; "))
		return
	}
	fmt.Printf("added CPU per call (µs), median [min–max] of %d interleaved rounds, trials of at least %v and %d calls; delivered = lowest share of datagrams received\n", *rounds, *duration, *minCalls)
	fmt.Printf("%8s  %-22s %-22s %-22s %-18s %-18s %9s %9s %9s\n", "calls/s", "aws-sdk-go aws/csm", "csm-go (v1)", "csmv2 (v2)",
		"v1 / original", "v2 / original", "orig del", "v1 del", "v2 del")
	for _, r := range rates {
		orig, v1, v2 := added(r, modeV1Original, modeV1None), added(r, modeV1Ours, modeV1None), added(r, modeV2Ours, modeV2None)
		fmt.Printf("%8d  %-22s %-22s %-22s %-18s %-18s %8.2f%% %8.2f%% %8.2f%%\n", r,
			spread(orig, "%.1f"), spread(v1, "%.1f"), spread(v2, "%.1f"), spread(ratio(v1, orig), "%.2f"), spread(ratio(v2, orig), "%.2f"),
			100*minDelivered(r, modeV1Original), 100*minDelivered(r, modeV1Ours), 100*minDelivered(r, modeV2Ours))
	}
	floors := []struct{ mode, what string }{
		{modeV1Floor, "one sendmmsg of two ready datagrams after each v1 call"},
		{modeV1Batched, "one sendmmsg of 64 ready datagrams after every 32nd v1 call"},
	}
	for _, f := range floors {
		if len(samples[rates[0]][f.mode]) == 0 {
			continue
		}
		fmt.Printf("reference, %s: added CPU per call (µs), and its ratio to the original's\n", f.what)
		for _, r := range rates {
			floor := added(r, f.mode, modeV1None)
			fmt.Printf("%8d  %-22s %-18s\n", r, spread(floor, "%.1f"), spread(ratio(floor, added(r, modeV1Original, modeV1None)), "%.2f"))
		}
	}
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
func trial(mode string, rate int, d time.Duration) (result, int, error) {
	agent, err := newAgent()
	if err != nil {
		return result{}, 0, err
	}
	defer agent.Close()
	cmd := exec.Command(os.Args[0], "-child", mode, "-rate", strconv.Itoa(rate),
		"-duration", d.String(), "-agent", agent.Addr())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, 0, fmt.Errorf("%s at %d calls/s: %w", mode, rate, err)
	}
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		return result{}, 0, fmt.Errorf("%s at %d calls/s: %w: %q", mode, rate, err, out)
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
