package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemo runs the demo for a short while: real aws-sdk-go and
// aws-sdk-go-v2 STS clients, reported by csm and csmv2, to csmtail's
// pipeline in this process, which must receive every datagram sent.
func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	line, err := run(context.Background(), 500*time.Millisecond, []string{"--plain", "--interval", "10ms"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	m := regexp.MustCompile(`^demo: aws-sdk-go, aws-sdk-go-v2 sent (\d+) datagrams through csm-go; csmtail received (\d+)$`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	assert.Equal(t, m[1], m[2])
	out := stdout.String()
	assert.Contains(t, out, "csmtail summary: "+m[1]+" datagrams (0 bad)")
	for _, api := range []string{"GetCallerIdentity", "AssumeRole", "GetAccessKeyInfo"} {
		assert.Regexp(t, `(?m)^STS\s+`+api+`\s`, out)
	}
	assert.NotContains(t, out, "fake-session-token", "the session token is never shown")

	// After the summary, the demo names its deliberate errors: every
	// exception of the summary, and the API it comes from.
	sum, notice, ok := strings.Cut(out, "csmtail summary: ")
	require.True(t, ok, out)
	sum, notice, ok = strings.Cut(notice, "demo: the errors are the demo's own")
	require.True(t, ok, "the demo names its errors after the summary:\n%s", out)
	exceptions := regexp.MustCompile(`(?m)^STS\s+(\S+)\s.*\s([A-Za-z]+):\d+$`).FindAllStringSubmatch(sum, -1)
	assert.NotEmpty(t, exceptions, sum)
	for _, m := range exceptions {
		assert.Contains(t, notice, m[1], "the API of %s", m[2])
		assert.Contains(t, notice, "("+m[2]+")", "the exception of %s", m[1])
	}
	assert.True(t, strings.Contains(stderr.String(), "csmtail: listening on udp 127.0.0.1:"), stderr.String())
}
