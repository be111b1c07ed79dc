package reporttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// IsolateEnv hides this machine's AWS settings from the test: every AWS_
// variable is emptied (which the SDKs and this module read as unset), the
// shared config and credentials files are ones that do not exist in a new
// temporary home directory, and the EC2 metadata service is off. The
// environment is restored when the test ends.
func IsolateEnv(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			t.Setenv(kv[:strings.IndexByte(kv, '=')], "")
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", dir)
}
