package tail

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlainLinesInArrivalOrder checks that lines come in the order the
// datagrams arrived, stamped with the arrival (the call's end) to the
// microsecond, whatever the calls' start Timestamps say.
func TestPlainLinesInArrivalOrder(t *testing.T) {
	f := linesPlain
	h := startHarness(t, nil, options{lines: &f})
	t0 := time.Date(2026, 1, 2, 15, 4, 5, 123456000, time.UTC)
	// The long call started first but ended last.
	h.feed(t0, call("S3", "GetObject", 200, "", 2, `,"Timestamp":1767366245100,"ClientId":"app"`))
	h.feed(t0.Add(250*time.Microsecond), call("S3", "PutObject", 503, "SlowDown", 1500, `,"Timestamp":1767366243600,"MaxRetriesExceeded":1,"AttemptCount":4`))
	h.feed(t0.Add(time.Millisecond), call("STS", "GetCallerIdentity", 0, "", 0, ``))
	h.stop(t)
	assert.Equal(t, []string{
		"15:04:05.123456 S3 GetObject 200 attempts=1 latency=2ms client=app",
		"15:04:05.123706 S3 PutObject 503 SlowDown attempts=4 latency=1.5s retries-exceeded",
		"15:04:05.124456 STS GetCallerIdentity - attempts=1 latency=<1ms",
	}, lines(h.out.String()))
}

func TestJSONLines(t *testing.T) {
	f := linesJSON
	h := startHarness(t, nil, options{lines: &f})
	h.feed(time.Now(), []byte("[\n"+callJSON+",\n  "+attemptJSON+"]"))
	h.stop(t)
	out := lines(h.out.String())
	require.Len(t, out, 2)
	assert.Equal(t, callJSON, out[0])
	assert.Equal(t, regexp.MustCompile(`"AccessKey":"[^"]*"`).ReplaceAllString(
		regexp.MustCompile(`"SessionToken":"[^"]*"`).ReplaceAllString(attemptJSON, `"SessionToken":"REDACTED"`),
		`"AccessKey":"****MPLE"`), out[1])
}
