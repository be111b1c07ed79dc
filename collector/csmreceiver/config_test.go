package csmreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/opencsm/csm-go/collector/csmreceiver/internal/metadata"
)

func TestDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	c := cfg.(*Config)
	assert.Equal(t, "127.0.0.1:31000", c.Endpoint)
	assert.Equal(t, 10*time.Second, c.AggregationInterval)
	assert.Equal(t, 1000, c.MaxSeries)
	assert.False(t, c.ClientIDAttribute)
	assert.NoError(t, confmap.Validate(c))
	assert.Equal(t, metadata.Type, NewFactory().Type())
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig()},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			want: &Config{
				Endpoint:            "0.0.0.0:31001",
				AggregationInterval: 30 * time.Second,
				MaxSeries:           200,
				ClientIDAttribute:   true,
			},
		},
		{id: component.NewIDWithName(metadata.Type, "no_port"), wantErr: `endpoint "127.0.0.1": use host:port`},
		{id: component.NewIDWithName(metadata.Type, "no_host"), wantErr: `endpoint ":31000": name the host`},
		{id: component.NewIDWithName(metadata.Type, "bad_port"), wantErr: `endpoint "127.0.0.1:99999": the port must be a number from 0 to 65535`},
		{id: component.NewIDWithName(metadata.Type, "short_interval"), wantErr: "aggregation_interval 10ms: use a duration of at least 100ms"},
		{id: component.NewIDWithName(metadata.Type, "no_series"), wantErr: "max_series 0: use a number from 1 to 100000"},
		{id: component.NewIDWithName(metadata.Type, "too_many_series"), wantErr: "max_series 1000000: use a number from 1 to 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}
