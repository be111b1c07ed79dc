package csmv2_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csmv2"
)

// initialQueueCapacity is MetricsChannelSize before any test changes it.
var initialQueueCapacity = csmv2.MetricsChannelSize

// The default queue capacity is written out in package csmv2 for its
// documentation; it must stay the one BENCHMARKS.md measured ("Callers
// saturating the CPU") and csm's, whose TestDefaults pins the same number.
func TestDefaults(t *testing.T) {
	assert.Equal(t, 4096, initialQueueCapacity)
}
