package csmv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMiddlewareAllocations pins what the middleware pair allocates on a
// call of one attempt, over what aws-sdk-go-v2's retry middleware and the
// attempt allocate without them: nothing, reporting or paused.
func TestMiddlewareAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	base := testing.AllocsPerRun(1000, newPairRun(t, "none"))
	for _, mode := range []string{"on", "paused"} {
		t.Run(mode, func(t *testing.T) {
			assert.Equal(t, base, testing.AllocsPerRun(1000, newPairRun(t, mode)))
		})
	}
}
