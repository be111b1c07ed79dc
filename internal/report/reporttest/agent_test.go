package reporttest

import (
	"net"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAgentSyncAndCounts(t *testing.T) {
	a := NewAgent(t)
	s := NewSink(t)
	for _, agent := range []*Agent{a, s} {
		conn := dial(t, agent.Addr())
		for i := 0; i < 3; i++ {
			_, err := conn.Write([]byte(`{"Type":"ApiCall"}`))
			require.NoError(t, err)
		}
		agent.Sync(t)
		assert.Equal(t, 3, agent.Len(), "sync markers are not counted")
	}
	assert.Len(t, a.Events(t), 3)
	assert.Empty(t, s.Raw(), "a sink keeps nothing")

	drops, known := a.KernelDrops()
	if runtime.GOOS == "linux" {
		assert.True(t, known, "/proc/net/udp has the agent's socket")
	}
	assert.Zero(t, drops)
}

func dial(t *testing.T, addr string) interface{ Write([]byte) (int, error) } {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
