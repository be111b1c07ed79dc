package csm_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestEnabledCombinations runs one API call per combination of
// AWS_CSM_ENABLED, csm_enabled, AWS_CSM_HOST and AWS_CSM_PORT, on a session
// Enable was given, and checks whether the agent received its datagrams:
// AWS_CSM_ENABLED decides when set, else csm_enabled, else a non-empty
// AWS_CSM_HOST or AWS_CSM_PORT enables CSM.
func TestEnabledCombinations(t *testing.T) {
	for _, c := range enabledCombinations() {
		t.Run(c.String(), func(t *testing.T) {
			t.Cleanup(csm.ResetForTest)
			csm.ResetForTest()
			dir := t.TempDir()
			reporttest.IsolateEnv(t)
			sess, err := session.NewSession(testConfig(&stubTransport{}))
			require.NoError(t, err)
			agent := reporttest.NewAgent(t)
			c.apply(t, dir, agent.Port())

			rep, err := csm.Enable(sess)
			require.NoError(t, err)
			if !c.want() {
				assert.Nil(t, rep)
				require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Off"))
				return
			}
			require.NotNil(t, rep)
			if c.port == "" {
				// The default port, where this test runs no agent.
				same, err := csm.Start("", "127.0.0.1:31000")
				require.NoError(t, err)
				assert.Same(t, rep, same)
				return
			}
			require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "On"))
			flushAndSync(t, rep, agent)
			assert.Len(t, agent.Events(t), 2)
		})
	}
}

// enabledCombination is one set of the settings that enable CSM. port is
// "" or "agent", which stands for the test agent's port.
type enabledCombination struct {
	envEnabled, fileEnabled, host, port string
}

func enabledCombinations() []enabledCombination {
	var all []enabledCombination
	for _, envEnabled := range []string{"", "true", "false"} {
		for _, fileEnabled := range []string{"", "true", "false"} {
			for _, host := range []string{"", "127.0.0.1"} {
				for _, port := range []string{"", "agent"} {
					all = append(all, enabledCombination{envEnabled, fileEnabled, host, port})
				}
			}
		}
	}
	return all
}

func (c enabledCombination) String() string {
	return "AWS_CSM_ENABLED=" + c.envEnabled + ",csm_enabled=" + c.fileEnabled + ",AWS_CSM_HOST=" + c.host + ",AWS_CSM_PORT=" + c.port
}

// want is whether the combination enables CSM.
func (c enabledCombination) want() bool {
	switch {
	case c.envEnabled != "":
		return c.envEnabled == "true"
	case c.fileEnabled != "":
		return c.fileEnabled == "true"
	}
	return c.host != "" || c.port != ""
}

// apply sets the environment and writes the shared config file.
func (c enabledCombination) apply(t *testing.T, dir, agentPort string) {
	t.Helper()
	t.Setenv("AWS_CSM_ENABLED", c.envEnabled)
	t.Setenv("AWS_CSM_HOST", c.host)
	if c.port != "" {
		t.Setenv("AWS_CSM_PORT", agentPort)
	}
	if c.fileEnabled != "" {
		path := filepath.Join(dir, "config")
		require.NoError(t, os.WriteFile(path, []byte("[aws_csm]\ncsm_enabled = "+c.fileEnabled+"\n"), 0o600))
		t.Setenv("AWS_CONFIG_FILE", path)
	}
}

// TestEnableKeepsTheProgramsHandlers: a program that injected this
// package's handlers itself keeps them when Enable finds settings that do
// not enable CSM; only aws-sdk-go's built-in CSM handlers are taken out.
func TestEnableKeepsTheProgramsHandlers(t *testing.T) {
	rep, agent := startReporter(t, "")
	reporttest.IsolateEnv(t)
	sess, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	rep.InjectHandlers(&sess.Handlers)

	got, err := csm.Enable(sess)
	require.NoError(t, err)
	assert.Nil(t, got, "the settings do not enable CSM")
	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Kept"))
	flushAndSync(t, rep, agent)
	assert.Len(t, agent.Events(t), 2, "the program's handlers still report")
}

// TestNewSessionDoesNotOpenFilesTheEnvironmentOverrides: with
// AWS_CSM_ENABLED=false the shared config file is not opened, so a FIFO
// there cannot block NewSession; with AWS_CSM_ENABLED unset it is a
// SettingError, and the session works.
func TestNewSessionDoesNotOpenFilesTheEnvironmentOverrides(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	fifo := filepath.Join(t.TempDir(), "config")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	t.Setenv("AWS_CONFIG_FILE", fifo)

	newSession := func() (*session.Session, error) {
		type result struct {
			sess *session.Session
			err  error
		}
		done := make(chan result, 1)
		go func() {
			sess, err := csm.NewSession(testConfig(&stubTransport{}))
			done <- result{sess, err}
		}()
		select {
		case r := <-done:
			return r.sess, r.err
		case <-testContext(t).Done():
			// Only a hang gets here; unblock it with a writer.
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				f.Close()
			}
			t.Fatal("NewSession blocked on the FIFO")
			return nil, nil
		}
	}

	t.Setenv("AWS_CSM_ENABLED", "false")
	sess, err := newSession()
	require.NoError(t, err)
	require.NotNil(t, sess)

	t.Setenv("AWS_CSM_ENABLED", "")
	sess, err = newSession()
	var serr *csm.SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Equal(t, "AWS_CONFIG_FILE", serr.Setting)
	assert.Contains(t, err.Error(), "not a regular file")
	require.NotNil(t, sess)
	assert.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "StillWorks"))
}

// TestSettingErrorIsOneType: csm.SettingError is report.SettingError, as
// csmv2.SettingError is, so one errors.As serves a program that uses both
// packages.
func TestSettingErrorIsOneType(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Setenv("AWS_CSM_ENABLED", "yes")
	sess, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	_, err = csm.Enable(sess)
	var serr *report.SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	var v1err *csm.SettingError = serr
	assert.Equal(t, "AWS_CSM_ENABLED", v1err.Setting)
}
