package tail

import "time"

// The sliding window of the live view's percentiles: windowSlots slots of
// windowSlot each. A slot's histogram is made when an event falls in it and
// dropped once the slot leaves the window, so that an idle row costs no
// window at all.
const (
	windowSlots = 6
	windowSlot  = 10 * time.Second
	// window is the span of the percentiles: the last minute, in steps of
	// windowSlot.
	window = windowSlots * windowSlot
)

// slotHistogram counts the latencies of one slot. uint32 counts are
// enough for ten seconds, and halve the size.
type slotHistogram [numBuckets]uint32

// latencyWindow holds the latencies of the last window.
type latencyWindow struct {
	slots [windowSlots]*slotHistogram
	epoch [windowSlots]int64 // the slot number each slot holds
}

// slotOf returns the slot number of t.
func slotOf(t time.Time) int64 {
	return t.UnixNano() / int64(windowSlot)
}

// add counts a latency in milliseconds at time t.
func (w *latencyWindow) add(ms float64, t time.Time) {
	n := slotOf(t)
	i := int(n % windowSlots)
	if w.slots[i] == nil {
		w.slots[i] = new(slotHistogram)
	} else if w.epoch[i] != n {
		*w.slots[i] = slotHistogram{}
	}
	w.epoch[i] = n
	w.slots[i][bucketOf(roundMs(ms))]++
}

// histogram returns the latencies of the window that ends at now, and
// drops the slots that left it.
func (w *latencyWindow) histogram(now time.Time) latencyHistogram {
	var h latencyHistogram
	n := slotOf(now)
	for i, s := range w.slots {
		if s == nil {
			continue
		}
		if w.epoch[i] <= n-windowSlots || w.epoch[i] > n {
			w.slots[i] = nil
			continue
		}
		for b, c := range s {
			h.counts[b] += uint64(c)
			h.total += uint64(c)
		}
	}
	return h
}
