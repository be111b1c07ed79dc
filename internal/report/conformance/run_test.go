package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefault checks that the built-in suite is the file in testdata, and
// that it holds cases of both event types.
func TestDefault(t *testing.T) {
	s, err := Default()
	require.NoError(t, err)
	file, err := os.ReadFile(filepath.Join("testdata", "csm-cases.json"))
	require.NoError(t, err)
	assert.Equal(t, string(file), string(defaultSuite))
	fromFile, err := Load(filepath.Join("testdata", "csm-cases.json"))
	require.NoError(t, err)
	assert.Equal(t, fromFile, s)

	require.NotEmpty(t, s.Cases)
	types := map[any]bool{}
	for _, c := range s.Cases {
		for _, e := range c.ExpectedMonitoringEvents {
			types[e["Type"]] = true
		}
	}
	assert.Equal(t, map[any]bool{"ApiCall": true, "ApiCallAttempt": true}, types)
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"cases": [`), 0o600))
	_, err = Load(bad)
	assert.ErrorContains(t, err, bad)
}
