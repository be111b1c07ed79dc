package csm_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// soakEnv sets how long TestSoak runs ("30s"); without it, a short run.
const soakEnv = "CSM_SOAK"

// TestSoak drives real instrumented calls from many goroutines while the
// reporter is paused, continued, flushed and enabled again on new sessions,
// then checks that every metric is accounted for, that the agent received
// all that was sent, that no goroutine was left behind and that the heap is
// back where it started. Run it under -race; CSM_SOAK sets its length.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped with -short")
	}
	length := 3 * time.Second
	if v := os.Getenv(soakEnv); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "%s=%q", soakEnv, v)
		length = d
	}

	reporttest.IsolateEnv(t)
	agent := reporttest.NewSink(t)
	// Enabled through the config file, which aws-sdk-go's session reads
	// only with AWS_SDK_LOAD_CONFIG: its built-in CSM stays out of it.
	config := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(config, []byte("[aws_csm]\ncsm_enabled = true\ncsm_port = "+agent.Port()+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Cleanup(csm.ResetForTest)

	newClient := func() *client.Client {
		sess, err := session.NewSession(testConfig(&stubTransport{}))
		require.NoError(t, err)
		rep, err := csm.Enable(sess)
		require.NoError(t, err)
		require.NotNil(t, rep)
		return newTestClient(sess, "CSM Test")
	}
	var current atomic.Value
	current.Store(newClient())
	rep := csm.Get()

	goroutines := runtime.NumGoroutine()
	heap := heapInUse()

	const workers = 8
	var calls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := current.Load().(*client.Client)
				if !assert.NoError(t, callOperation(c, "Soak")) {
					return
				}
				calls.Add(1)
				// Paced, so that the agent, a goroutine of this test,
				// keeps up: then everything sent is received.
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}

	// The controller: pause, continue, flush, enable on a new session.
	deadline := time.After(length)
	for step := 0; ; step++ {
		select {
		case <-deadline:
		default:
			switch step % 4 {
			case 0:
				rep.Pause()
			case 1:
				rep.Continue()
			case 2:
				require.NoError(t, rep.Flush(testContext(t)))
			case 3:
				current.Store(newClient())
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		break
	}
	close(stop)
	wg.Wait()
	rep.Continue()
	require.NoError(t, rep.Flush(testContext(t)))
	agent.Sync(t)

	st := rep.Stats()
	t.Logf("%d calls in %v: %+v", calls.Load(), length, st)
	assert.Equal(t, uint64(2*calls.Load()), st.Queued+st.DroppedFull+st.DroppedPaused, "every metric counted once")
	assert.Equal(t, st.Queued, st.Sent+st.WriteErrors)
	assert.Zero(t, st.WriteErrors)
	// The agent is a goroutine of this busy test: where the kernel's
	// receive buffer (net.core.rmem_max) is small, it may overflow, and the
	// kernel counts what it dropped. Nothing else may be missing.
	drops, known := agent.KernelDrops()
	t.Logf("received %d, dropped by the kernel %d (known: %v)", agent.Len(), drops, known)
	assert.Equal(t, int(st.Sent), agent.Len()+drops, "the agent received all that was sent")
	assert.NotZero(t, st.DroppedPaused, "the reporter was paused at times")

	current.Store((*client.Client)(nil))
	assertNoGoroutineLeak(t, goroutines)
	assert.Less(t, heapInUse()-heap, int64(4<<20), "heap back to its level before the soak")
}

// assertNoGoroutineLeak waits for the number of goroutines to come back to
// want, and fails with their stacks if it does not. Goroutines that finish
// their work end shortly after it; a leaked one never does.
func assertNoGoroutineLeak(t *testing.T, want int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	assert.Fail(t, "goroutines left behind", "%d goroutines, %d before:\n%s",
		runtime.NumGoroutine(), want, strings.TrimSpace(string(buf)))
}
