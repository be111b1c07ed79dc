package csmv2_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report"
)

// initialQueueCapacity is MetricsChannelSize before any test changes it.
var initialQueueCapacity = csmv2.MetricsChannelSize

// The default queue capacity is written out in package csmv2 for its
// documentation; it must stay the one the reporter uses.
func TestDefaults(t *testing.T) {
	assert.Equal(t, report.DefaultQueueCapacity, initialQueueCapacity)
}
