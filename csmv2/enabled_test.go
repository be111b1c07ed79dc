package csmv2_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestEnabledCombinations runs one API call per combination of
// AWS_CSM_ENABLED, csm_enabled, AWS_CSM_HOST and AWS_CSM_PORT on a config
// Enable was given, and checks whether the agent received its datagrams:
// AWS_CSM_ENABLED decides when set, else csm_enabled, else a non-empty
// AWS_CSM_HOST or AWS_CSM_PORT enables CSM, as in package csm.
func TestEnabledCombinations(t *testing.T) {
	for _, envEnabled := range []string{"", "true", "false"} {
		for _, fileEnabled := range []string{"", "true", "false"} {
			for _, host := range []string{"", "127.0.0.1"} {
				for _, port := range []bool{false, true} {
					want := host != "" || port
					if fileEnabled != "" {
						want = fileEnabled == "true"
					}
					if envEnabled != "" {
						want = envEnabled == "true"
					}
					name := "AWS_CSM_ENABLED=" + envEnabled + ",csm_enabled=" + fileEnabled + ",AWS_CSM_HOST=" + host
					if port {
						name += ",AWS_CSM_PORT=agent"
					}
					t.Run(name, func(t *testing.T) {
						reporttest.IsolateEnv(t)
						t.Cleanup(csmv2.ResetForTest)
						csmv2.ResetForTest()
						agent := reporttest.NewAgent(t)
						t.Setenv("AWS_CSM_ENABLED", envEnabled)
						t.Setenv("AWS_CSM_HOST", host)
						if port {
							t.Setenv("AWS_CSM_PORT", agent.Port())
						}
						if fileEnabled != "" {
							path := filepath.Join(t.TempDir(), "config")
							require.NoError(t, os.WriteFile(path, []byte("[aws_csm]\ncsm_enabled = "+fileEnabled+"\n"), 0o600))
							t.Setenv("AWS_CONFIG_FILE", path)
						}

						cfg := testConfig(nil, "")
						rep, err := csmv2.Enable(&cfg)
						require.NoError(t, err)
						if !want {
							assert.Nil(t, rep)
							assert.Empty(t, cfg.APIOptions)
							return
						}
						require.NotNil(t, rep)
						if !port {
							// The default port, where this test runs no agent.
							_, err := csmv2.Start("", "127.0.0.1:31000")
							assert.NoError(t, err, "the reporter sends to the default address")
							return
						}
						require.NoError(t, newTestClient(cfg, "CSM Test", 1, &stubHTTP{}).call(context.Background(), "TestOperation"))
						assert.Len(t, flushAndEvents(t, agent), 2)
					})
				}
			}
		}
	}
}

// TestSettingErrorIsOneType: csmv2.SettingError is report.SettingError,
// as csm.SettingError is, so one errors.As serves a program that uses both
// packages.
func TestSettingErrorIsOneType(t *testing.T) {
	reporttest.IsolateEnv(t)
	t.Setenv("AWS_CSM_ENABLED", "yes")
	cfg := testConfig(nil, "")
	_, err := csmv2.Enable(&cfg)
	var serr *report.SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Equal(t, "AWS_CSM_ENABLED", serr.Setting)
	var v2err *csmv2.SettingError = serr
	assert.Equal(t, "yes", v2err.Value)
}
