package csmv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMiddlewareAllocations pins what the middleware pair allocates on a
// call of one attempt, over what aws-sdk-go-v2's retry middleware and the
// attempt allocate without them: the attempt's record when reporting,
// nothing when paused.
func TestMiddlewareAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	none, _ := newPairRun(t, "none")
	base := testing.AllocsPerRun(1000, none)
	for _, tc := range []struct {
		mode  string
		extra float64
	}{{"on", 1}, {"paused", 0}} {
		t.Run(tc.mode, func(t *testing.T) {
			run, _ := newPairRun(t, tc.mode)
			assert.Equal(t, base+tc.extra, testing.AllocsPerRun(1000, run))
		})
	}
}
