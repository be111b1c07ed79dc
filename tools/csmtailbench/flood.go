//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// hostileDatagram returns a datagram of 40 events, an ApiCall and an
// ApiCallAttempt with every timing phase for each of 20 pairs, every name
// new from k on: services, APIs, status codes, exceptions, clients,
// regions, SDKs.
func hostileDatagram(k int) []byte {
	var objs []string
	for i := 0; i < 20; i++ {
		n := k + i
		objs = append(objs,
			fmt.Sprintf(`{"Type":"ApiCall","Service":"svc%d","Api":"api%d","FinalHttpStatusCode":%d,"FinalAwsException":"Exc%d","Latency":%d,"AttemptCount":2,"MaxRetriesExceeded":1,"ClientId":"c%d","Region":"r%d","UserAgent":"sdk%d/1.0","SessionToken":"tok%d"}`,
				n, n, 100+n%500, n, n%60000, n, n, n, n),
			fmt.Sprintf(`{"Type":"ApiCallAttempt","Service":"svc%d","Api":"api%d","HttpStatusCode":%d,"AwsException":"Exc%d","AttemptLatency":%d,"ConnectionReused":%d,"DnsLatency":1,"TcpLatency":2,"SslLatency":3,"ConnectLatency":4,"AcquireConnectionLatency":5,"RequestLatency":6}`,
				n, n, 100+n%500, n, n%997, n%2))
	}
	return []byte("[" + strings.Join(objs, ",") + "]")
}

// flood runs csmtail with args and --metrics-addr, sends it hostile
// datagrams for duration while scraping /metrics every 100 ms, and prints
// csmtail's peak resident memory (VmHWM) and what it counted.
func flood(csmtail string, args []string, duration time.Duration) error {
	cmd := exec.Command(csmtail, append(args, "--port", "0", "--metrics-addr", "127.0.0.1:0")...)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd.Stdout = devnull
	errs, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 4096)
	n, err := errs.Read(buf)
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`listening on udp (\S+), metrics on (\S+)`).FindStringSubmatch(string(buf[:n]))
	if m == nil {
		return fmt.Errorf("csmtail said %q", buf[:n])
	}
	c, err := net.Dial("udp", m[1])
	if err != nil {
		return err
	}
	defer c.Close()
	done := make(chan struct{})
	scrapes := 0
	go func() {
		defer close(done)
		for start := time.Now(); time.Since(start) < duration; time.Sleep(100 * time.Millisecond) {
			if _, err := scrape(m[2]); err == nil {
				scrapes++
			}
		}
	}()
	sent := 0
	for start := time.Now(); time.Since(start) < duration; {
		for i := 0; i < 50; i++ {
			_, _ = c.Write(hostileDatagram(sent * 20))
			sent++
		}
		time.Sleep(time.Millisecond)
	}
	<-done
	metrics, err := scrape(m[2])
	if err != nil {
		return err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return err
	}
	hwm := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if hwm == nil {
		return fmt.Errorf("no VmHWM in /proc/%d/status", cmd.Process.Pid)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	fmt.Printf("csmtail %s: sent %d datagrams of 40 events, every name new; received %.0f, kernel drops %.0f, folded events %.0f; %d scrapes; peak RSS %s kB\n",
		strings.Join(args, " "), sent, metrics["csmtail_datagrams_total"], metrics["csmtail_kernel_drops_total"], metrics["csmtail_folded_events_total"], scrapes+1, hwm[1])
	return nil
}
