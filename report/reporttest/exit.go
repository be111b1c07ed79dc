package reporttest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CheckExitDelivery builds the program in dir (see BuildProgram) and runs
// it runs times, half of them with the argument "return" and half with
// "exit", and checks that an agent in the test's process received exactly
// one ApiCall and one ApiCallAttempt datagram of every run.
//
// The program makes one API call to the endpoint in the ENDPOINT variable,
// with CSM enabled by the AWS_CSM_* variables this sets (a client ID per
// run), and then ends at once, without Flush: by returning from main for
// "return", by os.Exit for "exit". The endpoint answers 200 with a small
// JSON body and a request ID.
func CheckExitDelivery(t *testing.T, dir string, runs int) {
	t.Helper()
	program := BuildProgram(t, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "ONECALLREQUEST")
		fmt.Fprint(w, `{"Item":{"k":{"S":"v"}}}`)
	}))
	t.Cleanup(srv.Close)
	agent := NewAgent(t)
	IsolateEnv(t)
	t.Setenv("ENDPOINT", srv.URL)
	t.Setenv("AWS_CSM_ENABLED", "true")
	t.Setenv("AWS_CSM_HOST", "127.0.0.1")
	t.Setenv("AWS_CSM_PORT", agent.Port())

	ends := []string{"return", "exit"}
	for i := 0; i < runs; i++ {
		t.Setenv("AWS_CSM_CLIENT_ID", "run"+strconv.Itoa(i))
		out, err := exec.Command(program, ends[i%2]).CombinedOutput()
		require.NoError(t, err, "run %d (%s): %s", i, ends[i%2], out)
	}
	agent.Sync(t)

	got := map[string]int{}
	for _, e := range agent.Events(t) {
		got[fmt.Sprint(e["ClientId"], " ", e["Type"])]++
	}
	for i := 0; i < runs; i++ {
		for _, typ := range []string{"ApiCall", "ApiCallAttempt"} {
			key := fmt.Sprintf("run%d %s", i, typ)
			assert.Equal(t, 1, got[key], "%s of run %d, which ended by %s", typ, i, ends[i%2])
		}
	}
	assert.Equal(t, 2*runs, agent.Len(), "datagrams received")
}
