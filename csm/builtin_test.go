package csm_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
)

// TestNewSessionNamesTheBuiltInReportersSettings: aws-sdk-go's built-in
// reporter runs (TestMain started it with the empty client ID), this
// package's does not, and the settings ask for another client ID:
// aws-sdk-go's session panics, and NewSession returns an error that names
// the client ID's setting.
func TestNewSessionNamesTheBuiltInReportersSettings(t *testing.T) {
	enableThroughEnv(t)
	csm.ResetForTest()
	t.Setenv("AWS_CSM_CLIENT_ID", "not-the-built-in-one")
	sess, err := csm.NewSession(testConfig(&stubTransport{}))
	assert.Nil(t, sess)
	var serr *csm.SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Equal(t, "AWS_CSM_CLIENT_ID", serr.Setting)
	assert.Equal(t, "not-the-built-in-one", serr.Value)
	assert.Contains(t, err.Error(), "aws-sdk-go's built-in CSM already runs with another client ID")
}
