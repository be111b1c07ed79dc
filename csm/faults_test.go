package csm_test

import (
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestAgentRestarts stops the agent and starts another on the same port:
// metrics resume without anything done by the program.
func TestAgentRestarts(t *testing.T) {
	agent := reporttest.NewAgent(t)
	addr := agent.Addr()
	rep, err := csm.Start("", addr)
	require.NoError(t, err)
	t.Cleanup(csm.ResetForTest)
	c := newInstrumentedClient(t, rep, &stubTransport{})

	require.NoError(t, callOperation(c, "Before"))
	flushAndSync(t, rep, agent)
	require.Equal(t, 2, agent.Len())

	agent.Close()
	for i := 0; i < 5; i++ {
		require.NoError(t, callOperation(c, "Down"), "calls do not notice the agent is gone")
		require.NoError(t, rep.Flush(testContext(t)))
	}

	restarted := reporttest.NewAgentOn(t, addr)
	require.NoError(t, callOperation(c, "After1"))
	require.NoError(t, rep.Flush(testContext(t)))
	require.NoError(t, callOperation(c, "After2"))
	flushAndSync(t, rep, restarted)

	// The first datagram after the restart may still be refused: the
	// socket reports the last refusal from the down time on its next
	// write. Everything after it arrives.
	var apis []string
	for _, e := range restarted.Events(t) {
		apis = append(apis, e["Api"].(string))
	}
	require.GreaterOrEqual(t, len(apis), 3, "received %v", apis)
	assert.Equal(t, []string{"After2", "After2"}, apis[len(apis)-2:])

	st := rep.Stats()
	assert.Equal(t, uint64(16), st.Queued)
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
	assert.NotZero(t, st.WriteErrors, "writes refused while the agent was down are counted")
}

// TestAgentNeverReads sends to a socket that is never read, with a tiny
// receive buffer: the calls all return, every metric is accounted for, and
// the heap does not grow with the traffic.
func TestAgentNeverReads(t *testing.T) {
	deaf, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = deaf.Close() })
	require.NoError(t, deaf.SetReadBuffer(1024))

	rep, err := csm.Start("", deaf.LocalAddr().String())
	require.NoError(t, err)
	t.Cleanup(csm.ResetForTest)
	c := newInstrumentedClient(t, rep, &stubTransport{})
	require.NoError(t, callOperation(c, "Warm"))
	before := heapInUse()

	const callers, calls = 4, 2500
	var wg sync.WaitGroup
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				assert.NoError(t, callOperation(c, "Deaf"))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, rep.Flush(testContext(t)))

	st := rep.Stats()
	assert.Equal(t, uint64(2*(callers*calls+1)), st.Queued+st.DroppedFull)
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
	// The ring was allocated at Start; what the traffic leaves behind is
	// garbage. The traffic itself was about 8 MB of datagrams.
	assert.Less(t, heapInUse()-before, int64(2<<20), "heap growth")
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestIPv6Agent reports to an agent on [::1].
func TestIPv6Agent(t *testing.T) {
	agent, err := reporttest.Listen("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Cleanup(agent.Close)
	rep, err := csm.Start("", "[::1]:"+agent.Port())
	require.NoError(t, err)
	t.Cleanup(csm.ResetForTest)

	c := newInstrumentedClient(t, rep, &stubTransport{})
	events := callOnce(t, c, "Six", rep, agent)
	assert.Equal(t, testSessionToken, events[0]["SessionToken"], "::1 is loopback")
}
