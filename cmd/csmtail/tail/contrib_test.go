package tail

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contrib is the directory of the scrape config, rules and dashboard.
const contrib = "../contrib"

// metricNameRE finds csmtail's metric names in PromQL.
var metricNameRE = regexp.MustCompile(`\b(csm|csmtail)_[a-z0-9_]+\b`)

// exposedFamilies feeds every kind of datagram through a pipeline and
// returns the names of the families it exposes, with a histogram's
// _bucket, _sum and _count series.
func exposedFamilies(t *testing.T) map[string]bool {
	h := startHarness(t, nil, options{})
	h.feed(time.Now(),
		[]byte(attemptJSON),
		[]byte(`{"Type":"ApiCallAttempt","Service":"STS","Api":"AssumeRole","HttpStatusCode":200,"ConnectionReused":0,"DnsLatency":1,"TcpLatency":1,"SslLatency":3,"ConnectLatency":4,"AcquireConnectionLatency":5,"RequestLatency":2}`),
		[]byte(callJSON), []byte("bad"))
	h.stop(t)
	names := map[string]bool{}
	for name, f := range h.gather(t) {
		names[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	return names
}

// TestGrafanaDashboard parses the dashboard and checks that every metric
// its queries (panels and variables) use is one csmtail exposes.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(contrib, "grafana-dashboard.json"))
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Inputs []struct {
			Name string `json:"name"`
		} `json:"__inputs"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(raw, &d))
	require.NotEmpty(t, d.Panels)
	require.Len(t, d.Inputs, 1, "importable: one data source input")

	var exprs []string
	for _, p := range d.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	exposed := exposedFamilies(t)
	used := map[string]bool{}
	for _, e := range exprs {
		names := metricNameRE.FindAllString(e, -1)
		require.NotEmpty(t, names, "a query of no csmtail metric: %s", e)
		for _, n := range names {
			used[n] = true
			assert.True(t, exposed[n], "%s, used by %q, is not in csmtail's exposition", n, e)
		}
	}
	var list []string
	for n := range used {
		list = append(list, n)
	}
	sort.Strings(list)
	t.Logf("the dashboard uses %s", strings.Join(list, ", "))
}

// TestPrometheusConfig checks the example scrape config and rules with
// promtool, and that the rules use metrics csmtail exposes.
func TestPrometheusConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(contrib, "csmtail-rules.yml"))
	require.NoError(t, err)
	exposed := exposedFamilies(t)
	for _, n := range metricNameRE.FindAllString(string(raw), -1) {
		assert.True(t, exposed[n], "%s, used by the rules, is not in csmtail's exposition", n)
	}
	promtool := requireTool(t, "promtool")
	out, err := exec.Command(promtool, "check", "config", filepath.Join(contrib, "prometheus.yml")).CombinedOutput()
	assert.NoError(t, err, "%s", out)
	out, err = exec.Command(promtool, "check", "rules", filepath.Join(contrib, "csmtail-rules.yml")).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}
