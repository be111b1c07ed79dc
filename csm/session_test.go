package csm_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// builtInSession returns a session made without CSM and one made with
// CSM enabled through the environment, on which aws-sdk-go's session turned
// on its built-in CSM.
func builtInSession(t *testing.T) (plain, sess *session.Session) {
	t.Helper()
	reporttest.IsolateEnv(t)
	plain, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	enableThroughEnv(t)
	// aws-sdk-go logs "Enabling CSM" to the session's logger.
	quiet := &aws.Config{Logger: aws.LoggerFunc(func(...interface{}) {})}
	sess, err = session.NewSession(testConfig(&stubTransport{}), quiet)
	require.NoError(t, err)
	require.Equal(t, plain.Handlers.Complete.Len()+1, sess.Handlers.Complete.Len(), "the built-in CSM handler is there")
	return plain, sess
}

func TestEnableDisabled(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	csm.ResetForTest()
	sess, err := session.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	before := sess.Handlers.Complete.Len()

	rep, err := csm.Enable(sess)
	require.NoError(t, err)
	assert.Nil(t, rep)
	assert.Nil(t, csm.Get())
	assert.Equal(t, before, sess.Handlers.Complete.Len())
}

// TestEnableReplacesBuiltIn enables CSM through the environment: aws-sdk-go's
// session turns on its built-in CSM, and Enable must leave one set of
// handlers, its own.
func TestEnableReplacesBuiltIn(t *testing.T) {
	plain, sess := builtInSession(t)

	rep, err := csm.Enable(sess)
	require.NoError(t, err)
	require.NotNil(t, rep)
	assert.Same(t, rep, csm.Get())
	assert.Equal(t, plain.Handlers.Complete.Len()+1, sess.Handlers.Complete.Len())
	assert.Equal(t, plain.Handlers.CompleteAttempt.Len()+1, sess.Handlers.CompleteAttempt.Len())

	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Enabled"))
	flushAndSync(t, rep, sdkAgent)
	assert.Equal(t, csm.Stats{Queued: 2, Sent: 2}, rep.Stats(), "our handlers ran, once each")
	events := sdkAgent.Events(t)
	require.GreaterOrEqual(t, len(events), 2)
	assert.Equal(t, "Enabled", events[0]["Api"])
}

func TestEnableFromConfigFile(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	agent := startAgentForFile(t, "[profile aws_csm]\ncsm_enabled = true\ncsm_client_id = from-file\ncsm_port = %s\n")

	sess, err := csm.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	rep := csm.Get()
	require.NotNil(t, rep)
	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "FromFile"))
	flushAndSync(t, rep, agent)
	events := agent.Events(t)
	require.Len(t, events, 2)
	assert.Equal(t, "from-file", events[0]["ClientId"])
}

// startAgentForFile starts an agent and writes the shared config file from
// format, with the agent's port for its one %s.
func startAgentForFile(t *testing.T, format string) *reporttest.Agent {
	t.Helper()
	agent := reporttest.NewAgent(t)
	path := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(format, agent.Port())), 0o600))
	t.Setenv("AWS_CONFIG_FILE", path)
	return agent
}

func TestNewSessionPrintsNothing(t *testing.T) {
	enableThroughEnv(t)
	out := captureOutput(t, func() {
		sess, err := csm.NewSession(testConfig(&stubTransport{}))
		require.NoError(t, err)
		require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "Quiet"))
	})
	// aws-sdk-go's session.NewSession prints "Enabling CSM" here.
	assert.Empty(t, out)
}

// recordingLogger keeps what is logged to it.
type recordingLogger struct{ lines []string }

func (l *recordingLogger) Log(args ...interface{}) { l.lines = append(l.lines, fmt.Sprint(args...)) }

func TestNewSessionKeepsTheLogger(t *testing.T) {
	enableThroughEnv(t)
	logger := &recordingLogger{}
	sess, err := csm.NewSession(testConfig(&stubTransport{}), &aws.Config{Logger: logger})
	require.NoError(t, err)
	assert.Empty(t, logger.lines, "the built-in CSM's messages are kept out")
	sess.Config.Logger.Log("from the session")
	assert.Equal(t, []string{"from the session"}, logger.lines, "everything else reaches the user's logger")
}

// TestEnableRemovesBuiltInWhenOff: a session on which aws-sdk-go turned on
// its built-in CSM, then settings that turn CSM off, or that are wrong:
// Enable leaves the session with no CSM handlers at all.
func TestEnableRemovesBuiltInWhenOff(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"disabled":   {"AWS_CSM_ENABLED": "false"},
		"bad enable": {"AWS_CSM_ENABLED": "yes"},
		"bad port":   {"AWS_CSM_PORT": "abc"},
	} {
		t.Run(name, func(t *testing.T) {
			plain, sess := builtInSession(t)

			for k, v := range env {
				t.Setenv(k, v)
			}
			rep, _ := csm.Enable(sess)
			assert.Nil(t, rep)
			assert.Equal(t, plain.Handlers.Complete.Len(), sess.Handlers.Complete.Len())
			assert.Equal(t, plain.Handlers.CompleteAttempt.Len(), sess.Handlers.CompleteAttempt.Len())
		})
	}
}

// TestEnableFromCredentialsFile: aws-sdk-go reads [aws_csm] from the shared
// credentials file too, and so does Enable.
func TestEnableFromCredentialsFile(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Cleanup(csm.ResetForTest)
	path := filepath.Join(t.TempDir(), "credentials")
	require.NoError(t, os.WriteFile(path, []byte("[aws_csm]\ncsm_enabled = true\ncsm_port = "+sdkAgent.Port()+"\n"), 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", path)
	sdkAgent.Sync(t)
	sdkAgent.Reset()

	sess, err := csm.NewSession(testConfig(&stubTransport{}))
	require.NoError(t, err)
	rep := csm.Get()
	require.NotNil(t, rep)
	require.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "FromCredentials"))
	flushAndSync(t, rep, sdkAgent)
	assert.Equal(t, csm.Stats{Queued: 2, Sent: 2}, rep.Stats(), "ours, once each, in place of the built-in CSM")
}

// captureOutput runs fn with stdout and stderr going to a pipe, and returns
// what was written.
func captureOutput(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	fn()
	os.Stdout, os.Stderr = stdout, stderr
	require.NoError(t, w.Close())
	return <-done
}

func TestSettingErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		// want is the start of the error's text.
		want string
		// sdkRefuses is whether aws-sdk-go's own session.NewSession
		// also fails on these settings.
		sdkRefuses bool
		// running is whether a reporter already runs, with the empty
		// client ID and sdkAgent's address.
		running bool
	}{
		{"malformed enabled", map[string]string{"AWS_CSM_ENABLED": "yes"}, `csm: AWS_CSM_ENABLED="yes": not a boolean`, false, false},
		{"port not a number", map[string]string{"AWS_CSM_PORT": "abc"}, `csm: AWS_CSM_PORT="abc": not a port number`, true, false},
		{"port out of range", map[string]string{"AWS_CSM_PORT": "70000"}, `csm: AWS_CSM_PORT="70000": not a port number`, true, true},
		{"unresolvable host", map[string]string{"AWS_CSM_HOST": "bad host!"}, `csm: AWS_CSM_HOST="bad host!": lookup bad host!`, true, false},
		{"other host", map[string]string{"AWS_CSM_HOST": "127.0.0.2"}, `csm: AWS_CSM_HOST and AWS_CSM_PORT="127.0.0.2:`, true, true},
		{"other client ID", map[string]string{"AWS_CSM_CLIENT_ID": "other"}, `csm: AWS_CSM_CLIENT_ID="other": the running reporter has client ID ""`, true, true},
		{"host with a port", map[string]string{"AWS_CSM_HOST": "127.0.0.1:31000"}, `csm: AWS_CSM_HOST="127.0.0.1:31000": a host with a port: put the host (127.0.0.1) alone here and the port (31000) in AWS_CSM_PORT`, true, false},
		{"IPv6 host in brackets", map[string]string{"AWS_CSM_HOST": "[::1]"}, `csm: AWS_CSM_HOST="[::1]": an IPv6 address in brackets: write it without them (::1)`, true, false},
		{"space before the host", map[string]string{"AWS_CSM_HOST": " ::1"}, `csm: AWS_CSM_HOST=" ::1": white space around the host: remove it`, true, false},
		{"space after the host", map[string]string{"AWS_CSM_HOST": "::1 "}, `csm: AWS_CSM_HOST="::1 ": white space around the host: remove it`, true, false},
		{"host that cannot be dialed", map[string]string{"AWS_CSM_HOST": "fe80::1%lo"}, `csm: AWS_CSM_HOST="fe80::1%lo": `, true, false},
	}
	// aws-sdk-go's session enables its own CSM for AWS_CSM_ENABLED=true,
	// not for AWS_CSM_PORT alone: then it refuses nothing, and NewSession
	// returns a session with the same error as Enable.
	for _, enabledBy := range []string{"AWS_CSM_ENABLED", "AWS_CSM_PORT"} {
		for _, tc := range cases {
			if _, ok := tc.env["AWS_CSM_ENABLED"]; ok && enabledBy != "AWS_CSM_ENABLED" {
				continue
			}
			if enabledBy != "AWS_CSM_ENABLED" {
				tc.sdkRefuses = false
			}
			testSettingError(t, enabledBy, tc.name, tc.env, tc.want, tc.sdkRefuses, tc.running)
		}
	}
}

func testSettingError(t *testing.T, enabledBy, name string, env map[string]string, want string, sdkRefuses, running bool) {
	tc := struct {
		env        map[string]string
		want       string
		sdkRefuses bool
		running    bool
	}{env, want, sdkRefuses, running}
	{
		t.Run(enabledBy+"/"+name, func(t *testing.T) {
			if tc.env["AWS_CSM_HOST"] == "fe80::1%lo" {
				if c, err := net.Dial("udp", "[fe80::1%lo]:31000"); err == nil {
					c.Close()
					t.Skip("this machine can dial fe80::1%lo")
				}
			}
			enableThroughEnv(t)
			csm.ResetForTest()
			if tc.running {
				_, err := csm.Start("", sdkAgent.Addr())
				require.NoError(t, err)
			}
			reporttest.IsolateEnv(t)
			sess, err := session.NewSession(testConfig(&stubTransport{}))
			require.NoError(t, err)
			before := sess.Handlers.Complete.Len()

			if enabledBy == "AWS_CSM_ENABLED" {
				t.Setenv("AWS_CSM_ENABLED", "true")
			}
			t.Setenv("AWS_CSM_PORT", sdkAgent.Port())
			for k, v := range tc.env {
				t.Setenv(k, v)
			}

			rep, err := csm.Enable(sess)
			require.Error(t, err)
			assert.Nil(t, rep)
			assert.Contains(t, err.Error(), tc.want)
			var serr *csm.SettingError
			assert.True(t, errors.As(err, &serr))
			// The session works as it did, without this package's handlers.
			assert.Equal(t, before, sess.Handlers.Complete.Len())
			assert.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "StillWorks"))

			var out string
			assert.NotPanics(t, func() {
				out = captureOutput(t, func() {
					sess, err = csm.NewSession(testConfig(&stubTransport{}))
				})
			})
			assert.Empty(t, out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.sdkRefuses {
				assert.Nil(t, sess)
			} else {
				require.NotNil(t, sess, "a session that works without CSM")
				assert.NoError(t, callOperation(newTestClient(sess, "CSM Test"), "StillWorks"))
			}
		})
	}
}
