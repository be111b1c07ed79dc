// Command loadtest finds the highest rate of API calls at which a CSM
// reporter delivers at least 99.9% of its metrics to a local agent, for
// csm-go, for aws-sdk-go's own aws/csm, and for bare writes of datagrams of
// the same size (the machine's own ceiling), all in the same run.
//
//	go run ./internal/loadtest [-duration 2s] [-callers 4] [-queue 4096] [-modes bare-write,aws-sdk-go,csm-go]
//
// Each trial runs in a child process (a reporter is process-wide) that
// offers a fixed rate of calls for a while, paced every millisecond, and
// then waits for its reporter to finish; the parent's agent, a UDP socket on
// 127.0.0.1, counts what arrives. A trial passes when at least 99.9% of the
// metrics arrived and the rate held over the whole time, the time csm-go
// took to send what was still queued when the pacing ended included: a
// queue cannot hide a sender that does not keep up. A call runs the CSM handlers of one
// aws-sdk-go request that was sent once to a local server: one ApiCallAttempt
// and one ApiCall metric, as the SDK would produce them, without the SDK's
// own cost of a call, which would cap the rate far below what the reporters
// can take.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/opencsm/csm-go/csm"
)

// target is the share of metrics that must arrive for a rate to pass.
const target = 0.999

func main() {
	log.SetFlags(0)
	child := flag.String("child", "", "run one trial of this mode (internal)")
	rate := flag.Int("rate", 0, "calls per second (with -child)")
	agentAddr := flag.String("agent", "", "agent address (with -child)")
	duration := flag.Duration("duration", 2*time.Second, "how long each trial offers its rate")
	start := flag.Int("start", 10000, "first rate tried, in calls per second")
	max := flag.Int("max", 2000000, "highest rate tried, in calls per second")
	steps := flag.Int("bisect", 4, "bisection steps after the first failing rate")
	callers := flag.Int("callers", 4, "goroutines making the calls, each paced at its share of the rate")
	queue := flag.Int("queue", csm.MetricsChannelSize, "csm.MetricsChannelSize for csm-go")
	require := flag.Int("require", 0, "exit with an error if a mode passes no rate of at least this many calls/s")
	modes := flag.String("modes", strings.Join([]string{modeBare, modeOriginal, modeOurs}, ","), "modes to measure, comma-separated")
	flag.Parse()
	csm.MetricsChannelSize = *queue

	if *child != "" {
		res, err := runTrial(*child, *rate, *duration, *agentAddr, *callers)
		if err != nil {
			log.Fatal(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			log.Fatal(err)
		}
		return
	}

	fmt.Printf("trials of %v each, %d calling goroutines, pass when >= %.1f%% of the metrics arrive; csm-go's queue: %d metrics\n",
		*duration, *callers, target*100, *queue)
	fmt.Printf("%-12s %14s %14s\n", "mode", "calls/s", "datagrams/s")
	for _, mode := range strings.Split(*modes, ",") {
		best, err := search(mode, *start, *max, *steps, *duration, *queue, *callers)
		if err != nil {
			log.Fatal(err)
		}
		perCall := 2
		if mode == modeBare {
			perCall = 1
		}
		fmt.Printf("%-12s %14d %14d\n", mode, best, best*perCall)
		if best < *require {
			log.Fatalf("%s passed no rate of %d calls/s or more", mode, *require)
		}
	}
}

// search doubles the rate from start until a trial fails, then bisects
// between the last rate that passed and the first that failed. It returns
// the highest rate that passed (0 if none did).
func search(mode string, start, max, steps int, d time.Duration, queue, callers int) (int, error) {
	good, bad := 0, 0
	for r := start; r <= max; r *= 2 {
		ok, err := trial(mode, r, d, queue, callers)
		if err != nil {
			return 0, err
		}
		if !ok {
			bad = r
			break
		}
		good = r
	}
	if bad == 0 {
		return good, nil
	}
	for i := 0; i < steps; i++ {
		mid := (good + bad) / 2
		ok, err := trial(mode, mid, d, queue, callers)
		if err != nil {
			return 0, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	return good, nil
}

// trial runs one child at rate and reports whether it passed.
func trial(mode string, rate int, d time.Duration, queue, callers int) (bool, error) {
	agent, err := newAgent()
	if err != nil {
		return false, err
	}
	defer agent.close()

	cmd := exec.Command(os.Args[0], "-child", mode, "-rate", strconv.Itoa(rate),
		"-duration", d.String(), "-agent", agent.addr(), "-queue", strconv.Itoa(queue),
		"-callers", strconv.Itoa(callers))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return false, fmt.Errorf("%s at %d calls/s: %w", mode, rate, err)
	}
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		return false, fmt.Errorf("%s at %d calls/s: %w: %q", mode, rate, err, out)
	}
	received, err := agent.sync()
	if err != nil {
		return false, err
	}
	share := float64(received) / float64(res.Produced)
	fmt.Fprintf(os.Stderr, "  %-11s %9d calls/s: %9d of %9d datagrams (%.3f%%), sent at %.0f calls/s, %d dropped by a full queue, %d queued when pacing ended\n",
		mode, rate, received, res.Produced, share*100, res.Achieved, res.QueueFull, res.Backlog)
	// A trial that fell behind did not take its rate: pacing that could not
	// keep up, or a reporter that only caught up after the pacing, with
	// its queue.
	return share >= target && res.Achieved >= 0.98*float64(rate), nil
}
