package tail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireTool returns the path of a program from Debian's prometheus
// package. Outside CI the test skips, saying so, when it is absent; in CI
// (CI set) it fails.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found, and CI is set: .ci/csmtail.sh installs Debian's prometheus package", name)
	}
	t.Skipf("%s not found: apt-get install prometheus to run this test (CI requires it)", name)
	return ""
}

// promServer is a real Prometheus, scraping csmtail on loopback.
type promServer struct {
	url string
	out *syncBuffer
}

// startPrometheus starts Prometheus scraping target (host:port) every
// scrapeEvery, and waits until it is ready.
func startPrometheus(t *testing.T, target string) *promServer {
	t.Helper()
	bin := requireTool(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 200ms
  scrape_timeout: 200ms
scrape_configs:
  - job_name: csmtail
    static_configs:
      - targets: [%q]
`, target)), 0o644))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	p := &promServer{url: "http://" + addr, out: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus's output:\n%s", p.out.String())
		}
	})
	waitUntil(t, func() bool {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "prometheus ready")
	return p
}

// promResult is one series of a query's answer.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
	Values [][2]any          `json:"values"`
}

// query asks Prometheus's HTTP API for expr at time at (now if zero).
func (p *promServer) query(t *testing.T, expr string, at time.Time) []promResult {
	t.Helper()
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	}
	resp, err := http.Get(p.url + "/api/v1/query?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promResult `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &r), "%s", body)
	require.Equal(t, "success", r.Status, "%s: %s", expr, r.Error)
	return r.Data.Result
}

// scalar returns the single value of expr's answer, or -1 for none.
func (p *promServer) scalar(t *testing.T, expr string, at time.Time) float64 {
	t.Helper()
	res := p.query(t, expr, at)
	if len(res) == 0 {
		return -1
	}
	require.Len(t, res, 1, expr)
	v, err := strconv.ParseFloat(res[0].Value[1].(string), 64)
	require.NoError(t, err)
	return v
}

// TestRealPrometheus runs Debian's Prometheus scraping csmtail on loopback
// while CSM datagrams flow, and checks PromQL answers against what was
// sent: counts by code, rate() between two scrapes, and histogram
// quantiles; then lints the exposition with promtool check metrics.
//
// The datagrams are real CSM datagrams, as csm-go's reporter writes them,
// sent over UDP by the test: csmtail's module holds no SDK, on purpose.
// The demo in examples/ drives real SDK clients through the same receiver.
func TestRealPrometheus(t *testing.T) {
	promtool := requireTool(t, "promtool")
	s := startRun(t)
	target := strings.TrimSuffix(strings.TrimPrefix(s.metricsURL, "http://"), "/metrics")
	p := startPrometheus(t, target)

	const sum200 = `sum(csm_api_calls_total{service="STS",api="GetCallerIdentity",code="200",exception=""})`
	sendCalls := func(fast, slow, denied int) {
		var ds []string
		for i := 0; i < fast; i++ {
			ds = append(ds, `{"Version":1,"ClientId":"it","Type":"ApiCall","Service":"STS","Api":"GetCallerIdentity","Timestamp":1700000000000,"AttemptCount":1,"Region":"us-east-1","UserAgent":"aws-sdk-go/1.55.8","FinalHttpStatusCode":200,"Latency":3,"MaxRetriesExceeded":0}`)
		}
		for i := 0; i < slow; i++ {
			ds = append(ds, `{"Version":1,"ClientId":"it","Type":"ApiCall","Service":"STS","Api":"GetCallerIdentity","Timestamp":1700000000000,"AttemptCount":1,"Region":"us-east-1","UserAgent":"aws-sdk-go/1.55.8","FinalHttpStatusCode":200,"Latency":200,"MaxRetriesExceeded":0}`)
		}
		for i := 0; i < denied; i++ {
			ds = append(ds, `{"Version":1,"ClientId":"it","Type":"ApiCall","Service":"STS","Api":"GetCallerIdentity","Timestamp":1700000000000,"AttemptCount":1,"Region":"us-east-1","UserAgent":"aws-sdk-go/1.55.8","FinalHttpStatusCode":403,"FinalAwsException":"AccessDenied","FinalAwsExceptionMessage":"no","Latency":5,"MaxRetriesExceeded":0}`)
		}
		s.send(t, ds...)
	}

	// Phase A, scraped; then phase B, scraped.
	sendCalls(90, 10, 5)
	waitUntil(t, func() bool { return p.scalar(t, sum200, time.Time{}) == 100 }, "prometheus saw phase A")
	sendCalls(45, 5, 0)
	waitUntil(t, func() bool { return p.scalar(t, sum200, time.Time{}) == 150 }, "prometheus saw phase B")

	// Counts, by code.
	byCode := map[string]float64{}
	for _, r := range p.query(t, `sum by (code, exception) (csm_api_calls_total{service="STS"})`, time.Time{}) {
		v, err := strconv.ParseFloat(r.Value[1].(string), 64)
		require.NoError(t, err)
		byCode[r.Metric["code"]+" "+r.Metric["exception"]] = v
	}
	assert.Equal(t, map[string]float64{"200 ": 150, "403 AccessDenied": 5}, byCode)
	assert.Equal(t, 0.0, p.scalar(t, `csm_api_call_retries_exceeded_total{service="STS",api="GetCallerIdentity"}`, time.Time{}), "the initial 0")
	assert.Equal(t, 155.0, p.scalar(t, `csmtail_datagrams_total`, time.Time{}))
	assert.Greater(t, p.scalar(t, `csmtail_last_datagram_timestamp_seconds`, time.Time{}), 0.0)
	assert.Equal(t, 1.0, p.scalar(t, `count(csmtail_build_info)`, time.Time{}))

	// rate(): the 50 calls of phase B over the time between the last
	// scrape that saw phase A alone and the first that saw B.
	samples := p.query(t, `csm_api_calls_total{service="STS",api="GetCallerIdentity",code="200"}[10m]`, time.Time{})
	require.Len(t, samples, 1)
	var ta, tb float64
	for _, sv := range samples[0].Values {
		at, v := sv[0].(float64), sv[1].(string)
		if v == "100" {
			ta = at
		}
		if v == "150" && tb == 0 {
			tb = at
		}
	}
	require.NotZero(t, ta)
	require.NotZero(t, tb)
	windowMs := int64((tb-ta)*1000) + 1
	rate := p.scalar(t, fmt.Sprintf(`rate(csm_api_calls_total{service="STS",api="GetCallerIdentity",code="200"}[%dms])`, windowMs), time.UnixMilli(int64(tb*1000)))
	want := 50 / (tb - ta)
	assert.InEpsilon(t, want, rate, 0.01, "rate() = 50 calls / %.3f s", tb-ta)

	// Histogram quantiles: 135 calls of 3 ms, 15 of 200 ms, 5 of 5 ms, in
	// buckets (0.0025, 0.005] and (0.1, 0.25]; Prometheus interpolates
	// within a bucket.
	const buckets = `sum by (le) (csm_api_call_latency_seconds_bucket{service="STS",api="GetCallerIdentity"})`
	total, inFirst := 155.0, 140.0
	p50 := p.scalar(t, `histogram_quantile(0.5, `+buckets+`)`, time.Time{})
	assert.InDelta(t, 0.0025+0.0025*(0.5*total/inFirst), p50, 1e-9)
	p99 := p.scalar(t, `histogram_quantile(0.99, `+buckets+`)`, time.Time{})
	assert.InDelta(t, 0.1+0.15*((0.99*total-inFirst)/15), p99, 1e-9)

	// The exposition passes promtool's lint.
	resp, err := http.Get(s.metricsURL)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(body)
	out, err := check.CombinedOutput()
	assert.NoError(t, err, "promtool check metrics:\n%s", out)
	require.Equal(t, 0, s.stop(t))
}
