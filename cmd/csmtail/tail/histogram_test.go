package tail

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatencyHistogramPrecision(t *testing.T) {
	for v := int64(0); v <= maxLatencyMs; v += 1 + v/7 {
		i := bucketOf(v)
		require.Less(t, i, numBuckets, v)
		got := bucketMiddle(i)
		if v < subBuckets {
			assert.Equal(t, v, got, "exact below 16 ms")
			continue
		}
		assert.LessOrEqual(t, math.Abs(float64(got-v))/float64(v), 1.0/32, "v=%d middle=%d", v, got)
	}
	// Buckets follow each other: no value falls before the previous one.
	prev := 0
	for v := int64(0); v < 1<<16; v++ {
		i := bucketOf(v)
		require.GreaterOrEqual(t, i, prev)
		require.LessOrEqual(t, i, prev+1)
		prev = i
	}
	assert.Equal(t, numBuckets-1, bucketOf(maxLatencyMs))
}

func TestLatencyHistogramQuantiles(t *testing.T) {
	var h latencyHistogram
	assert.Equal(t, int64(-1), h.quantile(0.5), "empty")
	for ms := 1; ms <= 1000; ms++ {
		h.add(float64(ms))
	}
	for q, want := range map[float64]float64{0.5: 500, 0.9: 900, 0.99: 990} {
		assert.InEpsilon(t, want, float64(h.quantile(q)), 1.0/32, q)
	}

	var odd latencyHistogram
	odd.add(-5)    // counts as 0
	odd.add(0.4)   // rounds to 0
	odd.add(1e300) // the last bucket
	assert.Equal(t, int64(0), odd.quantile(0.5))
	assert.Equal(t, bucketMiddle(numBuckets-1), odd.quantile(1))
	assert.Equal(t, uint64(3), odd.total)
}
