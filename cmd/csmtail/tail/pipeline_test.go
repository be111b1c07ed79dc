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
		waitUntil(t, func() bool { return r.cost.Load() == 0 }, r.name+" took everything")
	}
	c := h.stats.snapshot()
	assert.Equal(t, uint64(n), c.datagrams, "received")
	assert.Equal(t, uint64(n), h.agg.snapshot(time.Now()).datagrams, "the view took every datagram")
	missed := h.pipe.missed()
	assert.Zero(t, missed["view"])
	assert.Zero(t, missed["prometheus"])
	assert.Equal(t, uint64(n-sinkQueueLen-1), missed["lines"], "the stuck sink holds one and queues sinkQueueLen")
	close(stuck.release)
	h.stop(t)
}
