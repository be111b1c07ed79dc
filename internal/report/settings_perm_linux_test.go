package report

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// permChildEnv names the unreadable file for the child process of
// TestLoadSettingsPermissionDenied.
const permChildEnv = "CSM_TEST_UNREADABLE_CONFIG"

// TestLoadSettingsPermissionDenied: a config file that exists but cannot be
// opened is a SettingError, not an empty file. Root may read any file, so
// as root the test runs itself again in a new user namespace, where it has
// no privilege over this one's files.
func TestLoadSettingsPermissionDenied(t *testing.T) {
	path := os.Getenv(permChildEnv)
	if path == "" {
		dir := t.TempDir()
		require.NoError(t, os.Chmod(dir, 0o755))
		path = filepath.Join(dir, "config")
		require.NoError(t, os.WriteFile(path, []byte("[aws_csm]\ncsm_enabled = true\n"), 0))
		require.NoError(t, os.Chmod(path, 0))
		if os.Geteuid() == 0 {
			cmd := exec.Command("/proc/self/exe", "-test.run=^TestLoadSettingsPermissionDenied$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), permChildEnv+"="+path)
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Skipf("cannot start a process in a new user namespace (%v), and root reads a file of mode 000", err)
			}
			require.NoError(t, err, "%s", out)
			require.True(t, strings.Contains(string(out), "--- PASS: TestLoadSettingsPermissionDenied"), "%s", out)
			return
		}
	}
	isolate(t)
	t.Setenv("AWS_CONFIG_FILE", path)
	_, err := LoadSettings()
	var serr *SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Equal(t, "AWS_CONFIG_FILE", serr.Setting)
	assert.ErrorIs(t, err, os.ErrPermission)
}
