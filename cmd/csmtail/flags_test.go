package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, config{
		addr: "127.0.0.1", port: 31000, interval: time.Second,
		maxSeries: defaultMaxSeries, demoDuration: 5 * time.Second,
	}, c)
	assert.Equal(t, "127.0.0.1:31000", c.listenAddr())

	for args, want := range map[string]string{
		"--addr ::1 --port 0":         "[::1]:0",
		"-addr [::1] -port 31001":     "[::1]:31001",
		"--addr 0.0.0.0 --port 65535": "0.0.0.0:65535",
		"--addr :: --port 1":          "[::]:1",
	} {
		c, err := parseFlags(splitArgs(args), nil)
		require.NoError(t, err, args)
		assert.Equal(t, want, c.listenAddr(), args)
	}

	c, err = parseFlags(splitArgs("--metrics-addr 127.0.0.1:9431 --json --show-bad --interval 250ms --max-series 10 --demo --demo-duration 2s"), nil)
	require.NoError(t, err)
	assert.Equal(t, config{
		addr: "127.0.0.1", port: 31000, metricsAddr: "127.0.0.1:9431", json: true, showBad: true,
		interval: 250 * time.Millisecond, maxSeries: 10, demo: true, demoDuration: 2 * time.Second,
	}, c)
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tt := range []struct {
		args string
		want string
	}{
		{"--port 70000", `--port "70000": not a port number from 0 to 65535`},
		{"--port -1", `--port "-1": not a port number from 0 to 65535`},
		{"--port abc", `--port "abc": not a port number from 0 to 65535`},
		{"--addr localhost", `--addr "localhost": not an IP address (such as 127.0.0.1 or ::1)`},
		{"--addr 127.0.0.1:31000", `--addr "127.0.0.1:31000": not an IP address (such as 127.0.0.1 or ::1)`},
		{"--metrics-addr 9431", `--metrics-addr "9431": not host:port (such as 127.0.0.1:9431)`},
		{"--metrics-addr 127.0.0.1:http", `--metrics-addr "127.0.0.1:http": port "http": not a port number from 0 to 65535`},
		{"--json --plain", `--json and --plain: choose one`},
		{"--interval 0s", `--interval 0s: must be more than 0`},
		{"--interval soon", `invalid value "soon" for flag -interval: parse error`},
		{"--max-series 0", `--max-series 0: must be from 1 to 100000`},
		{"--demo-duration -1s", `--demo-duration -1s: must be more than 0`},
		{"--verbose", `flag provided but not defined: -verbose`},
		{"extra", `unexpected argument "extra": csmtail takes flags only`},
	} {
		_, err := parseFlags(splitArgs(tt.args), nil)
		if assert.Error(t, err, tt.args) {
			assert.Equal(t, tt.want, err.Error(), tt.args)
		}
	}
}

// TestRunFlags checks what the command says and returns for -h and for a
// bad flag.
func TestRunFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-h"}, environment{stdout: &stdout, stderr: &stderr})
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout.String(), "csmtail [flags]")
	assert.Contains(t, stdout.String(), "-metrics-addr host:port")
	assert.Empty(t, stderr.String())

	stdout.Reset()
	code = run(context.Background(), []string{"--port", "99999"}, environment{stdout: &stdout, stderr: &stderr})
	assert.Equal(t, 2, code)
	assert.Equal(t, "csmtail: --port \"99999\": not a port number from 0 to 65535\n(csmtail -h lists the flags)\n", stderr.String())
	assert.Empty(t, stdout.String())
}

func splitArgs(s string) []string {
	return strings.Fields(s)
}
