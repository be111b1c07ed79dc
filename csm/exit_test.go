package csm_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/report/reporttest"
)

// exitRuns is how many times TestExitDeliversEverything runs the program.
const exitRuns = 40

// TestExitDeliversEverything runs a program that makes one aws-sdk-go call
// through csm.NewSession and ends at once, without Flush, half of the times
// by returning from main and half by os.Exit, and checks that the agent, in
// this process, received both datagrams of every run.
func TestExitDeliversEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program 40 times")
	}
	if runtime.GOOS != "linux" {
		t.Skip("a call writes its own datagrams only on Linux (sendmmsg with MSG_DONTWAIT); elsewhere a program that exits calls Flush")
	}
	program := reporttest.BuildProgram(t, "./testdata/onecall")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "ONECALLREQUEST")
		fmt.Fprint(w, `{"Item":{"k":{"S":"v"}}}`)
	}))
	t.Cleanup(srv.Close)
	agent := reporttest.NewAgent(t)
	reporttest.IsolateEnv(t)
	t.Setenv("ENDPOINT", srv.URL)
	t.Setenv("AWS_CSM_ENABLED", "true")
	t.Setenv("AWS_CSM_HOST", "127.0.0.1")
	t.Setenv("AWS_CSM_PORT", agent.Port())

	for i := 0; i < exitRuns; i++ {
		end := []string{"return", "exit"}[i%2]
		t.Setenv("AWS_CSM_CLIENT_ID", "run"+strconv.Itoa(i))
		out, err := exec.Command(program, end).CombinedOutput()
		require.NoError(t, err, "run %d (%s): %s", i, end, out)
	}
	agent.Sync(t)

	got := map[string]int{}
	for _, e := range agent.Events(t) {
		got[fmt.Sprint(e["ClientId"], " ", e["Type"])]++
	}
	for i := 0; i < exitRuns; i++ {
		for _, typ := range []string{"ApiCall", "ApiCallAttempt"} {
			key := fmt.Sprintf("run%d %s", i, typ)
			assert.Equal(t, 1, got[key], "%s of run %d, which ended by %s", typ, i, []string{"return", "exit"}[i%2])
		}
	}
	assert.Equal(t, 2*exitRuns, agent.Len(), "datagrams received")
}
