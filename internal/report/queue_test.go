package report

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// drain takes everything from q the way the sender does, in batches.
func drain(q *queue, batch int) [][]byte {
	var out [][]byte
	for {
		recs := q.peek(nil, batch)
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			out = append(out, append([]byte(nil), r...))
		}
		releaseAll(q, recs)
	}
}

// pushed pushes m into q and reports whether there was room.
func pushed(q *queue, m *Metric) bool {
	ok, _ := q.push(m)
	return ok
}

// releaseAll releases recs, the oldest records from peek, as written.
func releaseAll(q *queue, recs [][]byte) {
	if len(recs) > 0 {
		q.release(len(recs), recs[len(recs)-1], len(recs))
	}
}

// testRecord returns a metric whose record is about size bytes, numbered i.
func testRecord(i, size int) *Metric {
	return &Metric{Kind: KindAPICallAttempt, ClientID: strconv.Itoa(i), sessionToken: strings.Repeat("t", size)}
}

// numberOf returns the number of the metric a record holds.
func numberOf(t *testing.T, rec []byte) int {
	var m Metric
	readRecord(rec, &m)
	n, err := strconv.Atoi(m.ClientID)
	require.NoError(t, err)
	return n
}

func TestQueueFIFOAcrossWraps(t *testing.T) {
	q := newQueue(8) // 16 KiB ring, 8 records at most
	rng := rand.New(rand.NewSource(1))
	next, want := 0, 0
	for round := 0; round < 2000; round++ {
		// Push a few records of random sizes, up to the largest datagram,
		// then take some: the ring wraps in every possible place.
		for n := rng.Intn(4); n > 0; n-- {
			size := rng.Intn(maxRecordSize - 100)
			if rng.Intn(4) > 0 {
				size = rng.Intn(700)
			}
			if pushed(q, testRecord(next, size)) {
				next++
			}
		}
		recs := q.peek(nil, 1+rng.Intn(3))
		for _, r := range recs {
			require.Equal(t, want, numberOf(t, r), "record order")
			want++
		}
		releaseAll(q, recs)
	}
	for _, r := range drain(q, maxBatch) {
		require.Equal(t, want, numberOf(t, r))
		want++
	}
	assert.Equal(t, next, want, "every record pushed was read once")
}

// TestRecordRoundTrip writes metrics into records and reads them back.
func TestRecordRoundTrip(t *testing.T) {
	for name, m := range testMetrics() {
		m := m
		m.truncate()
		b := make([]byte, m.recordSize())
		m.putRecord(b)
		var got Metric
		readRecord(b, &got)
		assert.Equal(t, m, got, name)
	}
}

func TestQueueSize(t *testing.T) {
	cases := []struct {
		capacity, bytes int
	}{
		{-1, minQueueBytes},
		{1, minQueueBytes},
		{10, minQueueBytes},
		{100, 100 * 1024},
		{4096, 4096 * 1024},
		{1 << 20, maxQueueBytes},
		{int(^uint(0) >> 1), maxQueueBytes}, // would overflow the multiplication
	}
	for _, tc := range cases {
		assert.Equal(t, tc.bytes, len(newQueue(tc.capacity).buf), "capacity %d", tc.capacity)
	}
}

func TestQueueFull(t *testing.T) {
	t.Run("by count", func(t *testing.T) {
		q := newQueue(3)
		for i := 0; i < 3; i++ {
			require.True(t, pushed(q, testRecord(i, 10)))
		}
		assert.False(t, pushed(q, testRecord(3, 10)), "the fourth metric does not fit")
		recs := q.peek(nil, 1)
		releaseAll(q, recs)
		assert.True(t, pushed(q, testRecord(3, 10)), "room again after a release")
	})
	t.Run("by bytes", func(t *testing.T) {
		q := newQueue(1000) // 1000 KiB
		used, n := 0, 0
		for {
			m := testRecord(n, 8000)
			need := recordHeader + m.recordSize()
			if !pushed(q, m) {
				assert.Greater(t, used+need, len(q.buf), "refused while there was room")
				break
			}
			used += need
			n++
		}
		assert.Less(t, n, 1000, "large records fill the bytes before the count")
		assert.True(t, pushed(q, testRecord(n, 100)), "a small record still fits in the rest")
	})
	t.Run("held records are not overwritten", func(t *testing.T) {
		q := newQueue(16)
		for i := 0; i < 16; i++ {
			require.True(t, pushed(q, testRecord(i, 500)))
		}
		held := q.peek(nil, 8)
		copies := make([][]byte, len(held))
		for i, h := range held {
			copies[i] = append([]byte(nil), h...)
		}
		for i := 16; i < 40; i++ {
			pushed(q, testRecord(i, 500))
		}
		for i := range held {
			assert.Equal(t, copies[i], held[i], "record %d changed while held", i)
		}
		releaseAll(q, held)
	})
}

// TestQueueConcurrent pushes from many goroutines while one drains, as the
// handlers and the sender do. Under -race it checks the ring's locking; the
// counts and per-producer order check that nothing is lost or reordered.
func TestQueueConcurrent(t *testing.T) {
	q := newQueue(64)
	const producers, each = 8, 2000
	var wg sync.WaitGroup
	var dropped [producers]int
	for p := 0; p < producers; p++ {
		p := p
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := &Metric{Kind: KindAPICall, ClientID: fmt.Sprintf("%d:%06d", p, i), sessionToken: strings.Repeat("x", i%900)}
				if !pushed(q, m) {
					dropped[p]++
				}
			}
		}()
	}
	stop := make(chan struct{})
	got := make(chan [][]byte)
	go func() {
		var all [][]byte
		for {
			select {
			case <-q.wake:
				all = append(all, drain(q, maxBatch)...)
			case <-stop:
				got <- append(all, drain(q, maxBatch)...)
				return
			}
		}
	}()
	wg.Wait()
	require.NoError(t, q.flush(context.Background()))
	close(stop)
	all := <-got

	last := map[int]int{}
	for _, r := range all {
		var m Metric
		readRecord(r, &m)
		var p, i int
		_, err := fmt.Sscanf(m.ClientID, "%d:%06d", &p, &i)
		require.NoError(t, err)
		if prev, ok := last[p]; ok {
			require.Greater(t, i, prev, "producer %d's records out of order", p)
		}
		last[p] = i
	}
	total := 0
	for _, d := range dropped {
		total += d
	}
	assert.Equal(t, producers*each, len(all)+total, "every record read once or counted as dropped")
}

func TestQueueFlush(t *testing.T) {
	q := newQueue(8)
	require.NoError(t, q.flush(context.Background()), "nothing queued")

	require.True(t, pushed(q, testRecord(1, 0)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, q.flush(ctx), context.Canceled, "not written yet")

	done := make(chan error)
	go func() { done <- q.flush(context.Background()) }()
	recs := q.peek(nil, maxBatch)
	require.Len(t, recs, 1)
	releaseAll(q, recs)
	assert.NoError(t, <-done)
}

// BenchmarkQueuePushParallel measures push from several goroutines at once
// (run it with -cpu 1,2,8): how the queue's one mutex scales. Nothing is
// dropped: a goroutine that finds the queue full takes every record out, as
// the sender would, without encoding or writing them, and pushes again, so
// the figure is a queued push plus its share of the releases.
func BenchmarkQueuePushParallel(b *testing.B) {
	q := newQueue(4096) // the default MetricsChannelSize of csm and csmv2
	var drainMu sync.Mutex
	_, dropped0, _, _ := q.counts()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		attempt, call := callMetrics()
		var recs [][]byte
		for i := 0; pb.Next(); i++ {
			m := &attempt
			if i%2 == 1 {
				m = &call
			}
			for !pushed(q, m) {
				drainMu.Lock()
				for {
					recs = q.peek(recs[:0], maxBatch)
					if len(recs) == 0 {
						break
					}
					releaseAll(q, recs)
				}
				drainMu.Unlock()
			}
		}
	})
	b.StopTimer()
	_, dropped, _, _ := q.counts()
	// Refused pushes are retried, and each refusal counted: report the
	// refusals per push.
	b.ReportMetric(float64(dropped-dropped0)/float64(b.N), "refused/op")
}
