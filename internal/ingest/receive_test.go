package ingest

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// received is what a test's Handler got.
type received struct {
	mu      sync.Mutex
	packets []Packet // with copies of the data
	batches int
	largest int
}

func (r *received) handle(batch []Packet, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	r.largest = max(r.largest, len(batch))
	for _, p := range batch {
		p.Data = bytes.Clone(p.Data)
		r.packets = append(r.packets, p)
	}
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.packets)
}

// waitFor polls cond until it holds, failing after a generous limit that
// only guards against a hung test.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestReceiver sends datagrams queued before the receive loop starts, so
// that it reads them in batches, of every size up to past its limit, and
// checks each one's bytes, sender and truncation.
func TestReceiver(t *testing.T) {
	conn, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer conn.Close()
	c, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer c.Close()

	const limit = 1000
	sizes := []int{0, 1, 311, limit - 1, limit, limit + 1, 5000}
	for i := 0; i < 10; i++ {
		sizes = append(sizes, 100+i)
	}
	for _, n := range sizes {
		_, err := c.Write(bytes.Repeat([]byte{byte('a' + n%26)}, n))
		require.NoError(t, err)
	}

	var got received
	r := &Receiver{Conn: conn, MaxDatagram: limit, BatchSize: 4}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, got.handle) }()
	waitFor(t, func() bool { return got.count() == len(sizes) }, "every datagram")
	cancel()
	require.NoError(t, <-done, "Run returns nil once its context ends")

	assert.Equal(t, uint64(len(sizes)), r.Received())
	from := c.LocalAddr().(*net.UDPAddr).AddrPort()
	for i, p := range got.packets {
		n := sizes[i]
		assert.Equal(t, n > limit, p.Truncated, "datagram %d of %d bytes", i, n)
		want := bytes.Repeat([]byte{byte('a' + n%26)}, min(n, limit+1))
		assert.Equal(t, want, p.Data, "datagram %d", i)
		assert.Equal(t, from.Port(), p.From.Port())
		assert.Equal(t, from.Addr(), p.From.Addr().Unmap())
	}
	if runtime.GOOS == "linux" {
		assert.Equal(t, 4, got.largest, "queued datagrams are read a batch at a time")
	}
}

// TestReceiverKernelDrops overflows a small socket buffer before the loop
// reads it, then sends marker datagrams until the last one sent is read:
// by then each datagram sent was read or dropped, and the kernel told the
// drops with that last one.
func TestReceiverKernelDrops(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux counts a socket's drops (SO_RXQ_OVFL)")
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadBuffer(4096)) // the kernel's smallest
	c, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer c.Close()
	const sent = 500
	for i := 0; i < sent; i++ {
		_, err := c.Write([]byte(callJSON))
		require.NoError(t, err)
	}

	var got received
	r := &Receiver{Conn: conn}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, got.handle) }()
	markers := sendMarkers(t, c, &got)
	cancel()
	require.NoError(t, <-done)
	drops := r.KernelDrops()
	t.Logf("sent %d and %d markers, read %d, dropped by the kernel %d", sent, markers, r.Received(), drops)
	assert.NotZero(t, drops)
	assert.Equal(t, uint64(sent+markers), r.Received()+drops, "every datagram read or counted as dropped")
}

// sendMarkers sends numbered markers, one at a time, until the last one
// sent is the last one got read; a marker the kernel drops is followed by
// the next. It returns how many it sent.
func sendMarkers(t *testing.T, c *net.UDPConn, got *received) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for k := 1; ; k++ {
		marker := []byte("marker " + string(rune('0'+k%10)) + time.Now().Format(time.RFC3339Nano))
		_, err := c.Write(marker)
		require.NoError(t, err)
		// Wait for the marker a while, then send the next: the wait
		// paces the markers and is not part of what is checked.
		for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
			got.mu.Lock()
			n := len(got.packets)
			seen := n > 0 && bytes.Equal(got.packets[n-1].Data, marker)
			got.mu.Unlock()
			if seen {
				return k
			}
		}
		require.True(t, time.Now().Before(deadline), "no marker read")
	}
}
