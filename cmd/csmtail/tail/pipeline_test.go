package tail

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuckSink never returns from take until released: a terminal or a pipe
// that stopped reading.
type stuckSink struct{ release chan struct{} }

func (s stuckSink) take(*datagram) { <-s.release }
func (s stuckSink) tick(time.Time) {}
func (s stuckSink) close()         {}

// TestStuckSinkDoesNotStallReceiving sends datagrams through a real socket
// to a pipeline whose lines sink is stuck: every datagram is received and
// counted, the other sinks take them all, and the stuck sink's misses are
// counted.
func TestStuckSinkDoesNotStallReceiving(t *testing.T) {
	conn, err := listenUDP("127.0.0.1:0")
	require.NoError(t, err)
	defer conn.Close()
	stuck := stuckSink{make(chan struct{})}
	h := startHarness(t, conn, options{lines2: stuck})

	const n = 123 * 100 // three times what the stuck sink's queue holds
	for i := 0; i < n; i += 100 {
		batch := make([][]byte, 100)
		for j := range batch {
			batch[j] = call("SQS", "SendMessage", 200, "", 1, `,"ClientId":"c`+strconv.Itoa(i+j)+`"`)
		}
		h.send(t, batch...)
		// Loopback drops what the socket buffer cannot hold: pace the
		// sender by what was received, as a real one would not, so that
		// the kernel drops nothing here.
		h.wait(t, uint64(i+100))
	}
	h.stopReceiving(t)
	for _, r := range h.pipe.sinks[:2] {
		waitUntil(t, func() bool { return r.holding() == 0 }, r.name+" took everything")
	}
	c := h.stats.snapshot()
	assert.Equal(t, uint64(n), c.datagrams, "received")
	assert.Equal(t, uint64(n), h.agg.snapshot(time.Now()).datagrams, "the view took every datagram")
	missed := h.pipe.missed()
	assert.Zero(t, missed["view"])
	assert.Zero(t, missed["prometheus"])
	stuckRunner := h.pipe.sinks[2]
	assert.Equal(t, sinkQueueLen, stuckRunner.holding(), "the stuck sink holds as many as its queue bounds")
	assert.Equal(t, uint64(n-sinkQueueLen), missed["lines"], "the stuck sink misses the rest")
	close(stuck.release)
	h.stop(t)
}

// TestStopDropsStuckSink stops a pipeline whose lines sink is stuck, with
// a give-up signal: the other sinks finish, the stuck one is dropped, and
// what it held is counted as missed.
func TestStopDropsStuckSink(t *testing.T) {
	stuck := stuckSink{make(chan struct{})}
	defer close(stuck.release)
	h := startHarness(t, nil, options{lines2: stuck})
	const n = 10
	for i := 0; i < n; i++ {
		h.feed(time.Now(), call("SQS", "SendMessage", 200, "", 1, ""))
	}
	waitUntil(t, func() bool { return h.pipe.sinks[0].holding() == 0 && h.pipe.sinks[1].holding() == 0 }, "the other sinks took everything")
	giveUp := make(chan struct{})
	close(giveUp)
	assert.False(t, h.pipe.stopBy(giveUp), "a sink was dropped")
	h.once.Do(func() {}) // stopped
	missed := h.pipe.missed()
	assert.Zero(t, missed["view"])
	assert.Zero(t, missed["prometheus"])
	assert.Equal(t, uint64(n), missed["lines"], "the stuck sink took none: every datagram is counted as missed")
}
