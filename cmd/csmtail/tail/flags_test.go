package tail

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVersion checks --version: the module version from the build
// information, "(devel)" when built from a clone (the tests are), and the
// Go version; nothing else runs. .ci/release.sh checks the version of a
// csmtail installed at a version.
func TestVersion(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	code := Run(context.Background(), []string{"--version"}, Env{Stdout: stdout, Stderr: stderr})
	assert.Equal(t, 0, code)
	assert.Equal(t, "csmtail (devel) "+runtime.Version()+"\n", stdout.String())
	assert.Empty(t, stderr.String())
}
