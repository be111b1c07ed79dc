package tail

import (
	"math"
	"math/bits"
)

// The latency histogram has exact buckets for 0 to 15 ms, then 16 buckets
// for each power of two: a value falls in a bucket 1/16 of the bucket's
// lower bound wide, and the bucket's middle is within 1/32 (3.2%) of it.
// Latencies from maxLatencyMs up share the last bucket.
const (
	subBits        = 4
	subBuckets     = 1 << subBits // buckets per power of two
	maxLatencyBits = 24
	maxLatencyMs   = 1<<maxLatencyBits - 1 // about 4.7 hours
	numBuckets     = (maxLatencyBits - subBits + 1) * subBuckets
)

// latencyHistogram counts latencies in fixed log-scale buckets, so that its
// percentiles cost a fixed 2.7 KiB whatever the number of calls.
type latencyHistogram struct {
	counts [numBuckets]uint64
	total  uint64
}

// add counts one latency in milliseconds. Negative latencies count as 0.
func (h *latencyHistogram) add(ms float64) {
	h.counts[bucketOf(roundMs(ms))]++
	h.total++
}

// quantile returns the latency in milliseconds below or at which the
// fraction q of the latencies fall (q from 0 to 1), as the middle of its
// bucket: exact below 16 ms, within 3.2% above. It returns -1 when the
// histogram is empty.
func (h *latencyHistogram) quantile(q float64) int64 {
	if h.total == 0 {
		return -1
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return bucketMiddle(i)
		}
	}
	return bucketMiddle(len(h.counts) - 1) // not reached: seen ends at total
}

// bucketOf returns the bucket of v, from 0 to maxLatencyMs.
func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	// e is the position of the leading bit, at least subBits; the next
	// subBits bits pick the bucket within that power of two.
	e := bits.Len64(uint64(v)) - 1
	m := int(v>>(e-subBits)) & (subBuckets - 1)
	return (e-subBits+1)*subBuckets + m
}

// bucketMiddle returns the middle of bucket i, rounded down.
func bucketMiddle(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	lower := int64(subBuckets+i%subBuckets) << shift
	return lower + (int64(1)<<shift)/2
}
