package tail

import (
	"sync/atomic"
	"time"
)

// receiveStats are the receive loop's counts, exact whatever the sinks
// miss. They are read from any goroutine.
type receiveStats struct {
	datagrams   atomic.Uint64
	bad         [len(badReasons)]atomic.Uint64
	calls       atomic.Uint64
	attempts    atomic.Uint64
	folded      atomic.Uint64 // events with a name counted as otherName
	kernelDrops atomic.Uint64 // datagrams the kernel dropped (SO_RXQ_OVFL)
	last        atomic.Int64  // when the last datagram came, Unix nanoseconds; 0 for none
}

// count counts a datagram.
func (s *receiveStats) count(d *datagram) {
	s.datagrams.Add(1)
	if d.bad != "" {
		for i, r := range badReasons {
			if r == d.bad {
				s.bad[i].Add(1)
			}
		}
	}
	for i := range d.events {
		if d.events[i].Type == typeAPICall {
			s.calls.Add(1)
		} else {
			s.attempts.Add(1)
		}
		if d.admitted[i].folded {
			s.folded.Add(1)
		}
	}
	s.last.Store(d.received.UnixNano())
}

// counts is a copy of the receive loop's counts.
type counts struct {
	datagrams   uint64
	bad         map[badReason]uint64
	badTotal    uint64
	calls       uint64
	attempts    uint64
	folded      uint64
	kernelDrops uint64
	missed      map[string]uint64 // per sink
	last        time.Time         // zero for none
}

// snapshot returns the counts.
func (s *receiveStats) snapshot() counts {
	c := counts{
		datagrams:   s.datagrams.Load(),
		bad:         make(map[badReason]uint64),
		calls:       s.calls.Load(),
		attempts:    s.attempts.Load(),
		folded:      s.folded.Load(),
		kernelDrops: s.kernelDrops.Load(),
	}
	for i, r := range badReasons {
		if n := s.bad[i].Load(); n > 0 {
			c.bad[r] = n
			c.badTotal += n
		}
	}
	if ns := s.last.Load(); ns != 0 {
		c.last = time.Unix(0, ns)
	}
	return c
}
