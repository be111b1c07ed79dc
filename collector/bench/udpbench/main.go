// Command udpbench measures the datagrams per second that a UDP receiver
// takes with at least 99.9% of them accounted for, for four receivers side
// by side in one run, each in a process of its own, fed by a sender in
// another process:
//
//   - raw: internal/ingest's Receiver with a handler that does nothing, one
//     recvmmsg of up to 32 datagrams at a time: the machine's ceiling;
//   - ingest: the same loop with the parser (ingest.Parse), csmtail's
//     receive loop and parser without csmtail's sinks;
//   - csm: the csm receiver in a Collector (otelcol-bench);
//   - statsd: the contrib statsd receiver in the same Collector, fed
//     statsd lines of the same datagram size.
//
// A datagram is accounted for when the receiving process read it from its
// socket; the kernel counts the others as drops (/proc/net/udp). Linux
// only.
//
//	udpbench -bench /path/to/otelcol-bench -rounds 6
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

func main() {
	child := flag.String("child", "", "run as a child: recv or send")
	mode := flag.String("mode", "raw", "the receiver (recv child): raw or ingest")
	port := flag.Int("port", 0, "the UDP port")
	rate := flag.Int("rate", 0, "datagrams per second (send child)")
	n := flag.Int("n", 0, "datagrams to send (send child)")
	kind := flag.String("kind", "csm", "what to send: csm or statsd (send child)")
	modes := flag.String("modes", "raw,ingest,csm,statsd", "the receivers to measure")
	rates := flag.String("rates", "25000,50000,100000,200000,400000", "the rates to try, datagrams per second")
	rounds := flag.Int("rounds", 6, "rounds; each round runs every receiver at every rate")
	duration := flag.Duration("duration", time.Second, "how long each point sends")
	bench := flag.String("bench", "", "the otelcol-bench binary (for csm and statsd)")
	flag.Parse()
	var err error
	switch *child {
	case "recv":
		err = recv(*mode, *port)
	case "send":
		err = send(*kind, *port, *rate, *n)
	case "":
		err = orchestrate(strings.Split(*modes, ","), ints(*rates), *rounds, *duration, *bench)
	default:
		err = fmt.Errorf("-child %q: use recv or send", *child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpbench:", err)
		os.Exit(1)
	}
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err == nil {
			out = append(out, v)
		}
	}
	return out
}

// datagramSize is the size of every datagram sent, of both kinds.
const datagramSize = 420

// payload returns datagram i of kind: a CSM ApiCallAttempt, or statsd
// lines, padded to datagramSize bytes. 20 operations: the series stay few.
func payload(kind string, i int) []byte {
	op := i % 20
	var s string
	switch kind {
	case "statsd":
		s = fmt.Sprintf("client.call.attempt_duration:%d|ms|#rpc.service:STS,rpc.method:Op%d,cloud.region:eu-west-1\nclient.call.attempts:1|c|#rpc.service:STS,rpc.method:Op%d,cloud.region:eu-west-1,pad:", 10+i%50, op, op)
	default:
		s = fmt.Sprintf(`{"Version":1,"Type":"ApiCallAttempt","Service":"STS","Api":"Op%d","ClientId":"","Timestamp":1700000000000,"Fqdn":"sts.eu-west-1.amazonaws.com","Region":"eu-west-1","UserAgent":"aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26","AttemptLatency":%d,"HttpStatusCode":200,"XAmznRequestId":"FAKEREQUESTID","Pad":"`, op, 10+i%50)
	}
	pad := datagramSize - len(s)
	if kind != "statsd" {
		pad -= 2
	}
	s += strings.Repeat("x", pad)
	if kind != "statsd" {
		s += `"}`
	}
	return []byte(s)
}

// send sends n datagrams at rate per second, paced in 1 ms slots, and
// prints how many it sent and in how long.
func send(kind string, port, rate, n int) error {
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer conn.Close()
	msgs := make([][]byte, 64)
	for i := range msgs {
		msgs[i] = payload(kind, i)
	}
	start := time.Now()
	sent, failed := 0, 0
	for sent+failed < n {
		due := int(time.Since(start).Seconds() * float64(rate))
		if due > n {
			due = n
		}
		if sent+failed >= due {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		for sent+failed < due {
			if _, err := conn.Write(msgs[(sent+failed)%len(msgs)]); err != nil {
				failed++
			} else {
				sent++
			}
		}
	}
	fmt.Printf("sent %d failed %d seconds %.6f\n", sent, failed, time.Since(start).Seconds())
	return nil
}

// recv runs a receive loop until SIGTERM.
func recv(mode string, port int) error {
	conn, err := ingest.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	r := &ingest.Receiver{Conn: conn}
	var events []ingest.Event
	h := func([]ingest.Packet, time.Time) {}
	if mode == "ingest" {
		h = func(batch []ingest.Packet, _ time.Time) {
			for i := range batch {
				events, _ = ingest.Parse(events[:0], batch[i].Data)
			}
		}
	}
	return r.Run(ctx, h)
}

// udpSocket is a line of /proc/net/udp.
type udpSocket struct {
	rxQueue, drops uint64
	found          bool
}

// socketOf reads the socket bound to 127.0.0.1:port from /proc/net/udp.
func socketOf(port int) udpSocket {
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		return udpSocket{}
	}
	defer f.Close()
	want := fmt.Sprintf("0100007F:%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 13 || fields[1] != want {
			continue
		}
		q := strings.Split(fields[4], ":") // tx_queue:rx_queue
		rx, _ := strconv.ParseUint(q[1], 16, 64)
		drops, _ := strconv.ParseUint(fields[len(fields)-1], 10, 64)
		return udpSocket{rxQueue: rx, drops: drops, found: true}
	}
	return udpSocket{}
}

// freePort returns a UDP port that was free a moment ago.
func freePort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// point is one measurement.
type point struct {
	mode      string
	rate      int     // asked
	achieved  float64 // datagrams per second sent
	sent      int
	drops     uint64
	cpu       float64 // receiver process CPU seconds
	rssMiB    float64 // receiver peak resident memory
	accounted float64 // fraction read by the receiver
}

// measure runs one point: a receiver process and a sender process.
func measure(self, bench, dir, mode string, rate int, d time.Duration) (point, error) {
	p := point{mode: mode, rate: rate}
	port, err := freePort()
	if err != nil {
		return p, err
	}
	var cmd *exec.Cmd
	kind := "csm"
	switch mode {
	case "raw", "ingest":
		cmd = exec.Command(self, "-child", "recv", "-mode", mode, "-port", strconv.Itoa(port))
	case "csm", "statsd":
		if mode == "statsd" {
			kind = "statsd"
		}
		cfg := filepath.Join(dir, mode+".yaml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`receivers:
  %s:
    endpoint: 127.0.0.1:%d
    aggregation_interval: 1s
exporters:
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 1000000
service:
  pipelines:
    metrics:
      receivers: [%s]
      exporters: [debug]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
`, mode, port, mode)), 0o644); err != nil {
			return p, err
		}
		cmd = exec.Command(bench, "--config", cfg)
	default:
		return p, fmt.Errorf("mode %q: use raw, ingest, csm or statsd", mode)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return p, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	for i := 0; !socketOf(port).found; i++ {
		if i > 300 {
			return p, fmt.Errorf("%s did not listen on %d", mode, port)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The Collector binds the socket while it starts its pipelines: let
	// every receiver settle before the point starts.
	time.Sleep(time.Second)
	before := socketOf(port).drops
	out, err := exec.Command(self, "-child", "send", "-kind", kind, "-port", strconv.Itoa(port),
		"-rate", strconv.Itoa(rate), "-n", strconv.Itoa(int(float64(rate)*d.Seconds()))).Output()
	if err != nil {
		return p, fmt.Errorf("sender: %v", err)
	}
	var failed int
	var secs float64
	if _, err := fmt.Sscanf(string(out), "sent %d failed %d seconds %f", &p.sent, &failed, &secs); err != nil {
		return p, fmt.Errorf("sender said %q", out)
	}
	p.achieved = float64(p.sent) / secs
	// Wait until the receiver has read everything queued.
	for i := 0; i < 500; i++ {
		if socketOf(port).rxQueue == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := socketOf(port)
	p.drops = s.drops - before
	p.accounted = 1 - float64(p.drops)/float64(p.sent)
	p.cpu, p.rssMiB = usage(cmd.Process.Pid)
	return p, nil
}

// usage returns a process's CPU seconds and peak resident memory.
func usage(pid int) (cpu, rssMiB float64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseFloat(fields[11], 64)
		st, _ := strconv.ParseFloat(fields[12], 64)
		cpu = (ut + st) / 100 // USER_HZ
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
				rssMiB = kb / 1024
			}
		}
	}
	return cpu, rssMiB
}

func orchestrate(modes []string, rates []int, rounds int, d time.Duration, bench string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "udpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// best[mode] is each round's highest rate at >= 99.9% accounted.
	best := map[string][]float64{}
	fmt.Printf("%-6s %5s %9s %11s %9s %8s %10s %8s\n", "round", "mode", "asked/s", "achieved/s", "sent", "drops", "accounted", "cpu s")
	for r := 1; r <= rounds; r++ {
		for _, mode := range modes {
			top := 0.0
			for _, rate := range rates {
				p, err := measure(self, bench, dir, mode, rate, d)
				if err != nil {
					return err
				}
				fmt.Printf("%-6d %5s %9d %11.0f %9d %8d %9.3f%% %8.2f  rss %.0f MiB\n", r, mode, p.rate, p.achieved, p.sent, p.drops, 100*p.accounted, p.cpu, p.rssMiB)
				if p.accounted < 0.999 {
					break
				}
				top = p.achieved
			}
			best[mode] = append(best[mode], top)
		}
	}
	fmt.Println()
	fmt.Println("highest achieved rate with >= 99.9% accounted, per round:")
	for _, mode := range modes {
		v := append([]float64(nil), best[mode]...)
		sort.Float64s(v)
		fmt.Printf("%-7s median %8.0f/s  min %8.0f  max %8.0f  rounds %v\n", mode, median(v), v[0], v[len(v)-1], round(best[mode]))
	}
	return nil
}

func median(v []float64) float64 {
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func round(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
