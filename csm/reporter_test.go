package csm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func TestPauseContinue(t *testing.T) {
	rep, agent := startReporter(t, "pause")
	c := newInstrumentedClient(t, rep, &stubTransport{})

	require.NoError(t, callOperation(c, "Before"))
	flushAndSync(t, rep, agent)
	require.Equal(t, 2, agent.Len(), "one attempt and one call before Pause")

	rep.Pause()
	rep.Pause() // the original panics here: close of closed channel
	require.NoError(t, callOperation(c, "Paused"))
	flushAndSync(t, rep, agent)
	assert.Equal(t, 2, agent.Len(), "nothing is sent while paused")

	rep.Continue()
	rep.Continue()
	require.NoError(t, callOperation(c, "After"))
	flushAndSync(t, rep, agent)

	var apis []string
	for _, e := range agent.Events(t) {
		apis = append(apis, e["Api"].(string))
	}
	// The original never sends again after Pause and Continue.
	assert.Equal(t, []string{"Before", "Before", "After", "After"}, apis)
	assert.Equal(t, csm.Stats{Queued: 4, Sent: 4, DroppedPaused: 2}, rep.Stats())
}

func TestPauseKeepsQueuedMetrics(t *testing.T) {
	rep, agent := startReporter(t, "")
	c := newInstrumentedClient(t, rep, &stubTransport{})
	require.NoError(t, callOperation(c, "Queued"))
	rep.Pause()
	flushAndSync(t, rep, agent)
	assert.Equal(t, 2, agent.Len(), "metrics queued before Pause are still sent")
}

func TestNilReporter(t *testing.T) {
	var rep *csm.Reporter
	assert.NotPanics(t, func() {
		rep.Pause()
		rep.Continue()
		rep.InjectHandlers(&request.Handlers{})
		assert.Equal(t, csm.Stats{}, rep.Stats())
		assert.NoError(t, rep.Flush(context.Background()))
		assert.NoError(t, rep.Shutdown(context.Background()))
	})
}

// TestShutdown checks that Shutdown sends what a call queued, that calls
// made afterwards are dropped and counted, and that Start then starts a new
// reporter.
func TestShutdown(t *testing.T) {
	rep, agent := startReporter(t, "shutdown")
	c := newInstrumentedClient(t, rep, &stubTransport{})
	require.NoError(t, callOperation(c, "BeforeShutdown"))
	require.NoError(t, rep.Shutdown(context.Background()))
	agent.Sync(t)
	assert.Equal(t, 2, agent.Len())
	assert.Nil(t, csm.Get())

	require.NoError(t, callOperation(c, "AfterShutdown"))
	assert.Equal(t, csm.Stats{Queued: 2, Sent: 2, DroppedFull: 2}, rep.Stats())

	again, err := csm.Start("shutdown", agent.Addr())
	require.NoError(t, err)
	assert.NotSame(t, rep, again)
}

func TestStartTwice(t *testing.T) {
	rep, agent := startReporter(t, "twice")
	again, err := csm.Start("twice", agent.Addr())
	require.NoError(t, err)
	assert.Same(t, rep, again)
	assert.Same(t, rep, csm.Get())
}

func TestStartMismatchPanics(t *testing.T) {
	_, agent := startReporter(t, "first")
	// The one panic kept from the original, with the original's message.
	assert.PanicsWithError(t, `inconsistent client IDs. "first" was expected, but received "second"`, func() {
		_, _ = csm.Start("second", agent.Addr())
	})
	assert.PanicsWithError(t, `inconsistent URLs. "`+agent.Addr()+`" was expected, but received "127.0.0.1:1"`, func() {
		_, _ = csm.Start("first", "127.0.0.1:1")
	})
}

func TestStartBadAddress(t *testing.T) {
	t.Cleanup(csm.ResetForTest)
	for _, url := range []string{"127.0.0.1", "127.0.0.1:notaport", "127.0.0.1:70000", "127.0.0.1:0", "bad host!:31000", ""} {
		rep, err := csm.Start("", url)
		assert.Error(t, err, url)
		assert.Contains(t, err.Error(), "csm: ", url)
		assert.Nil(t, rep, url)
		assert.Nil(t, csm.Get(), "a failed Start leaves no reporter (%q)", url)
	}
}

func TestGetBeforeStart(t *testing.T) {
	csm.ResetForTest()
	assert.Nil(t, csm.Get())
}

// TestConcurrentControl calls every control function from many goroutines
// while API calls run. Under -race it proves the reporter free of data
// races; the counts prove that nothing was lost or counted twice.
func TestConcurrentControl(t *testing.T) {
	rep, agent := startReporter(t, "storm")
	c := newInstrumentedClient(t, rep, &stubTransport{})
	handlers := request.Handlers{}

	const callers, calls = 8, 50
	// Every snapshot taken meanwhile is consistent: nothing is sent that
	// was not queued.
	stopPolling := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stopPolling:
				return
			default:
			}
			st := rep.Stats()
			if st.Sent+st.WriteErrors > st.Queued {
				assert.Fail(t, "inconsistent snapshot", "%+v", st)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < callers; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				assert.NoError(t, callOperation(c, "Storm"))
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				r, err := csm.Start("storm", agent.Addr())
				assert.NoError(t, err)
				assert.Same(t, rep, csm.Get())
				r.Pause()
				r.InjectHandlers(&handlers)
				r.Continue()
				_ = r.Stats()
			}
		}()
	}
	wg.Wait()
	close(stopPolling)
	<-polled
	flushAndSync(t, rep, agent)

	st := rep.Stats()
	assert.Equal(t, uint64(2*callers*calls), st.Queued+st.DroppedFull+st.DroppedPaused, "every metric counted once")
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
	assert.Equal(t, int(st.Sent), agent.Len())
	assert.Equal(t, 1, handlers.Complete.Len())
	assert.Equal(t, 1, handlers.CompleteAttempt.Len())
}

// TestNoAgentListening sends to a port where nothing listens: the kernel
// refuses the datagrams (ECONNREFUSED on the next write), which the reporter
// counts, and the API calls do not notice.
func TestNoAgentListening(t *testing.T) {
	closed := reporttest.NewAgent(t)
	addr := closed.Addr()
	closed.Close()

	rep, err := csm.Start("", addr)
	require.NoError(t, err)
	t.Cleanup(csm.ResetForTest)
	c := newInstrumentedClient(t, rep, &stubTransport{})
	for i := 0; i < 10; i++ {
		require.NoError(t, callOperation(c, "Nobody"))
		require.NoError(t, rep.Flush(testContext(t)))
	}
	st := rep.Stats()
	assert.Equal(t, uint64(20), st.Queued)
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
	assert.NotZero(t, st.WriteErrors, "refused writes are counted")
}

// TestPausedCallWritesItsAttempts checks that a call paused between its
// attempts has the attempt queued before the pause written when it
// returns, although its ApiCall metric is not produced.
func TestPausedCallWritesItsAttempts(t *testing.T) {
	rep, agent := startReporter(t, "")
	stub := &stubTransport{responses: []stubResponse{{Status: 500}, {Status: 200, Cancel: rep.Pause}}}
	c := newInstrumentedClient(t, rep, stub)
	require.NoError(t, callOperation(c, "PausedBetweenAttempts"))
	st := rep.Stats()
	require.Equal(t, uint64(1), st.Queued, "the first attempt")
	require.Equal(t, uint64(2), st.DroppedPaused, "the second attempt and the call")
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors+st.Deferred, "written or deferred when the call returned")
	agent.Sync(t)
	assert.Equal(t, 1, agent.Len())
}
