package csmv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMiddlewareAllocations pins what the middleware pair allocates on a
// call of one attempt: the call's state and its stack value (a node and
// its context), and nothing when the reporter is paused.
func TestMiddlewareAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, which changes allocation counts")
	}
	t.Run("reporting", func(t *testing.T) {
		assert.Equal(t, 3.0, testing.AllocsPerRun(1000, newPairRun(t, false)))
	})
	t.Run("paused", func(t *testing.T) {
		assert.Zero(t, testing.AllocsPerRun(1000, newPairRun(t, true)))
	})
}
