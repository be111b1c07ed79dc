package report

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/report/reporttest"
)

func testDatagrams(n int) [][]byte {
	m := testMetrics()["attempt"]
	d := encodeMetric(nil, &m)
	out := make([][]byte, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestSenderPaths(t *testing.T) {
	for _, batch := range []bool{true, false} {
		agent := reporttest.NewAgent(t)
		conn, err := net.DialUDP("udp", nil, mustResolve(t, agent.Addr()))
		require.NoError(t, err)
		s := newSender(conn)
		if !batch {
			s.batch = nil
		}
		sent, failed, err := s.send(testDatagrams(maxBatch), false)
		require.NoError(t, err)
		assert.Equal(t, maxBatch, sent)
		assert.Zero(t, failed)
		agent.Sync(t)
		assert.Equal(t, maxBatch, agent.Len())
		require.NoError(t, conn.Close())
	}
}

func mustResolve(t testing.TB, addr string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	return a
}

// BenchmarkSender compares writing a batch of 64 typical datagrams with one
// sendmmsg (x/net's WriteBatch) and with one write each. The socket it
// sends to is never read; the kernel delivers to it and drops what
// overflows.
func BenchmarkSender(b *testing.B) {
	deaf, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	defer deaf.Close()
	datagrams := testDatagrams(maxBatch)
	for _, path := range []string{"sendmmsg", "write"} {
		b.Run("path="+path, func(b *testing.B) {
			conn, err := net.DialUDP("udp", nil, deaf.LocalAddr().(*net.UDPAddr))
			require.NoError(b, err)
			defer conn.Close()
			s := newSender(conn)
			if path == "write" {
				s.batch = nil
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s.send(datagrams, false)
			}
			b.ReportMetric(float64(b.N*len(datagrams))/time.Since(start).Seconds(), "datagrams/s")
		})
	}
}
