package reporttest

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
)

// CheckExitDelivery builds the program in dir (see BuildProgram) and runs
// it runs times, half of them with the argument "return" and half with
// "exit", and checks that an agent in the test's process received exactly
// one ApiCall and one ApiCallAttempt datagram of every run.
//
// The program makes one DynamoDB call to the endpoint in the ENDPOINT
// variable, with CSM enabled by the AWS_CSM_* variables this sets (a client
// ID per run), and then ends at once, without Flush: by returning from main
// for "return", by os.Exit for "exit". The endpoint answers 200 with a
// small JSON body and a request ID. It skips under -short, and elsewhere
// than on Linux.
func CheckExitDelivery(t *testing.T, dir string, runs int) {
	t.Helper()
	checkExit(t, dir, runs, nil, map[string]int{"DynamoDB": 1})
}

// CheckExitDeliveryAssumingRole is CheckExitDelivery for a program run with
// a second argument, "assume-role": its call's credentials come from an STS
// AssumeRole call that the SDK makes, inside the call, through a client
// that reports to CSM too. The endpoint also answers that call, and the
// agent must receive the ApiCall and ApiCallAttempt datagrams of both calls
// of every run.
func CheckExitDeliveryAssumingRole(t *testing.T, dir string, runs int) {
	t.Helper()
	checkExit(t, dir, runs, []string{"assume-role"}, map[string]int{"STS": 1, "DynamoDB": 1})
}

// CheckExitDeliveryOfCalls is CheckExitDelivery for a program that makes
// several DynamoDB calls of one attempt each against a transport of its
// own, which answers at once, in the shapes short programs have; its
// second argument names the shape:
//
//   - back-to-back: 5 calls in a row;
//   - fan-out: 4 goroutines × 3 calls, then wg.Wait();
//   - after-flush: a call, Flush, and a call right after.
//
// For each shape, in a subtest, the agent must receive the ApiCall and
// ApiCallAttempt datagrams of every call of every run.
func CheckExitDeliveryOfCalls(t *testing.T, dir string, runs int) {
	t.Helper()
	shapes := []struct {
		shape string
		calls int
	}{
		{"back-to-back", 5},
		{"fan-out", 12},
		{"after-flush", 2},
	}
	for _, s := range shapes {
		t.Run(s.shape, func(t *testing.T) {
			checkExit(t, dir, runs, []string{s.shape}, map[string]int{"DynamoDB": s.calls})
		})
	}
}

// assumeRoleResponse is STS's answer to AssumeRole.
const assumeRoleResponse = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult>
<Credentials><AccessKeyId>ASIAEXIT</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>` +
	`<SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/exit/session</Arn>` +
	`<AssumedRoleId>AROAEXIT:session</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult>
<ResponseMetadata><RequestId>ASSUMEROLEREQUEST</RequestId></ResponseMetadata>
</AssumeRoleResponse>`

// checkExit runs the program in dir runs times with the end argument and
// args, and checks that the agent received, from every run, calls[s]
// ApiCall and as many ApiCallAttempt datagrams of each service s.
//
// It skips under -short, and elsewhere than on Linux.
func checkExit(t *testing.T, dir string, runs int, args []string, calls map[string]int) {
	t.Helper()
	if testing.Short() {
		t.Skipf("builds and runs a program %d times", runs)
	}
	if runtime.GOOS != "linux" {
		t.Skip("checked on Linux, where a call writes with sendmmsg and MSG_DONTWAIT")
	}
	program := BuildProgram(t, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" { // STS's query protocol
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprint(w, assumeRoleResponse)
			return
		}
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
		out, err := exec.Command(program, append([]string{ends[i%2]}, args...)...).CombinedOutput()
		require.NoError(t, err, "run %d (%s): %s", i, ends[i%2], out)
	}
	agent.Sync(t)

	got := map[string]int{}
	for _, e := range agent.Events(t) {
		got[fmt.Sprint(e["ClientId"], " ", e["Service"], " ", e["Type"])]++
	}
	want := 0
	for i := 0; i < runs; i++ {
		for service, n := range calls {
			for _, typ := range []string{"ApiCall", "ApiCallAttempt"} {
				key := fmt.Sprintf("run%d %s %s", i, service, typ)
				assert.Equal(t, n, got[key], "%s %s of run %d, which ended by %s", service, typ, i, ends[i%2])
				want += n
			}
		}
	}
	assert.Equal(t, want, agent.Len(), "datagrams received")
}
