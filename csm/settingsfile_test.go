package csm_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestNewSessionBlockingConfigFile: a shared config file whose read would
// wait for input (/dev/ptmx, a terminal's master side that nothing writes
// to) is a *SettingError naming it, and NewSession returns with a working
// session, as aws-sdk-go's session.NewSession does. The bound is the
// test's, only so that a NewSession that never returns fails the test
// instead of hanging it.
func TestNewSessionBlockingConfigFile(t *testing.T) {
	const ptmx = "/dev/ptmx"
	if _, err := os.Stat(ptmx); err != nil {
		t.Skipf("no %s here: %v", ptmx, err)
	}
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	agent := reporttest.NewAgent(t)
	t.Setenv("AWS_CSM_PORT", agent.Port())
	t.Setenv("AWS_CONFIG_FILE", ptmx)

	type result struct {
		sess *session.Session
		err  error
	}
	done := make(chan result, 1)
	go func() {
		sess, err := csm.NewSession(testConfig(&stubTransport{}))
		done <- result{sess, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("csm.NewSession with AWS_CONFIG_FILE=%s did not return", ptmx)
	}
	var serr *csm.SettingError
	require.True(t, errors.As(r.err, &serr), "got %v", r.err)
	assert.Equal(t, "AWS_CONFIG_FILE", serr.Setting)
	assert.Equal(t, ptmx, serr.Value)
	require.NotNil(t, r.sess, "the session works without monitoring")
	assert.Nil(t, csm.Get())
}

// TestNewSessionConfigFileWithBOM: a shared config file that starts with a
// UTF-8 byte order mark (as some Windows editors write it) and enables CSM
// enables it: the mark is not part of the first section's name.
func TestNewSessionConfigFileWithBOM(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	agent := reporttest.NewAgent(t)
	path := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(path, []byte("\uFEFF[aws_csm]\ncsm_enabled = true\ncsm_client_id = bom\ncsm_port = "+agent.Port()+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", path)

	sess, err := csm.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	rep := csm.Get()
	require.NotNil(t, rep, "CSM is on")
	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "WithBOM"))
	flushAndSync(t, rep, agent)
	events := agent.Events(t)
	require.Len(t, events, 2)
	assert.Equal(t, "bom", events[0]["ClientId"])
}
