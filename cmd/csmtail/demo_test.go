package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemo runs --demo as CI does, on the socket the test binary's CSM
// reporter sends to, with stdout not a terminal.
func TestDemo(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	code := run(context.Background(), []string{"--demo", "--demo-duration", "300ms"},
		environment{stdout: stdout, stderr: stderr, demoConn: agentConn})
	require.Equal(t, 0, code, "stderr: %s", stderr)

	out := stdout.String()
	m := regexp.MustCompile(`\ndemo: aws-sdk-go, aws-sdk-go-v2 sent (\d+) datagrams through csm-go; csmtail received (\d+)\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, m[1], m[2], "received what was sent")
	assert.Contains(t, out, "\ncsmtail summary: "+m[1]+" datagrams (0 bad), ")
	assert.Contains(t, out, "\nSERVICE   API ")
	assert.Regexp(t, `(?m)^\d\d:\d\d:\d\d\.\d{3} (DynamoDB|S3) \w+ .* client=csmtail-demo$`, out)
	assert.Contains(t, stderr.String(), "; demo: aws-sdk-go, aws-sdk-go-v2 calling a fake AWS at http://127.0.0.1:")
	assert.False(t, strings.Contains(out, "\x1b"), "no terminal sequences when stdout is not a terminal")
}
