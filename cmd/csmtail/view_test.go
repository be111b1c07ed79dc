package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viewInput is a fixed traffic for the view tests: calls of two APIs,
// with a retry, errors and a retries-exceeded call.
func viewInput() [][]byte {
	var ds [][]byte
	for i := 1; i <= 20; i++ { // latencies 1 to 20 ms
		ds = append(ds, []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","ClientId":"app","Timestamp":%d,"AttemptCount":1,"Latency":%d,"FinalHttpStatusCode":200}`,
			1700000000000+int64(i)*1000, i)))
	}
	ds = append(ds,
		[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1700000100000,"AttemptCount":2,"Latency":1500,"FinalHttpStatusCode":200}`),
		[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1700000100500,"AttemptCount":1,"Latency":30,"FinalHttpStatusCode":404,"FinalAwsException":"NoSuchKey"}`),
		[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1700000101000,"AttemptCount":4,"Latency":250,"FinalSdkException":"RequestError","MaxRetriesExceeded":1}`),
		[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1700000102000,"AttemptCount":1,"Latency":40,"FinalHttpStatusCode":503}`),
		[]byte(`[{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","HttpStatusCode":500},{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject","HttpStatusCode":200}]`),
		[]byte(`{"Type":"ApiCall","Service":"Evil\u001b[2J","Api":"","AttemptCount":1,"Latency":1}`),
		[]byte(`not json`),
	)
	return ds
}

// feed gives the datagrams to a new monitor with opts, in order.
func feed(opts monitorOptions, ds [][]byte) *monitor {
	if opts.maxSeries == 0 {
		opts.maxSeries = defaultMaxSeries
	}
	m := newMonitor(opts)
	for _, d := range ds {
		m.handle(d, netip.MustParseAddrPort("127.0.0.1:40000"), false)
	}
	return m
}

func TestPlainLines(t *testing.T) {
	var out bytes.Buffer
	m := feed(monitorOptions{format: linesPlain, out: &out, loc: time.UTC}, viewInput())
	require.NoError(t, m.flush())
	lines := strings.Split(out.String(), "\n")
	require.Len(t, lines, 26) // 25 calls and the empty string after the last newline
	assert.Equal(t, "22:13:21.000 DynamoDB GetItem 200 attempts=1 latency=1ms client=app", lines[0])
	assert.Equal(t, "22:13:40.000 DynamoDB GetItem 200 attempts=1 latency=20ms client=app", lines[19])
	assert.Equal(t, []string{
		"22:15:00.000 S3 GetObject 200 attempts=2 latency=1.5s",
		"22:15:00.500 S3 GetObject 404 NoSuchKey attempts=1 latency=30ms",
		"22:15:01.000 S3 GetObject - RequestError attempts=4 latency=250ms retries-exceeded",
		"22:15:02.000 S3 GetObject 503 attempts=1 latency=40ms",
	}, lines[20:24])
	// A call without a Timestamp shows the time it was received.
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} Evil\?\[2J - - attempts=1 latency=1ms$`, lines[24])
	assert.Equal(t, "", lines[25])
}

func TestSummary(t *testing.T) {
	m := feed(monitorOptions{loc: time.UTC}, viewInput())
	var out bytes.Buffer
	writeSummary(&out, m.snapshot())
	assert.Equal(t, `csmtail summary: 27 datagrams (1 bad: not_json 1), 25 calls, 2 attempts

SERVICE   API        CALLS  ATTEMPTS  RETRIES  ERRORS   P50    P90    P99  EXCEPTIONS
DynamoDB  GetItem       20         0        0       0  10ms   18ms   20ms
S3        GetObject      4         2        4       3  41ms  1.50s  1.50s  HTTP 503:1 NoSuchKey:1 RequestError:1
Evil?[2J  -              1         0        0       0   1ms    1ms    1ms
`, out.String())
}

func TestLiveFrame(t *testing.T) {
	var in [][]byte
	for i := 0; i < 5; i++ {
		for j := 0; j <= i; j++ { // API i has i+1 calls
			in = append(in, []byte(fmt.Sprintf(`{"Type":"ApiCall","Service":"S","Api":"A%d","Latency":1,"FinalHttpStatusCode":500,"FinalAwsException":"E%d"}`, i, j)))
		}
	}
	m := feed(monitorOptions{showBad: true}, append(in, []byte("{")))
	var frame bytes.Buffer
	writeFrame(&frame, "csmtail: listening on udp 127.0.0.1:31000", m.snapshot(), 2)
	assert.Equal(t, `csmtail: listening on udp 127.0.0.1:31000
16 datagrams (1 bad: not_json 1), 15 calls, 0 attempts

SERVICE  API  CALLS  ATTEMPTS  RETRIES  ERRORS  P50  P90  P99  EXCEPTIONS
S        A4       5         0        0       5  1ms  1ms  1ms  E0:1 E1:1 E2:1 +2 more
S        A3       4         0        0       4  1ms  1ms  1ms  E0:1 E1:1 E2:1 +1 more
... and 3 more

last bad datagrams:
  bad datagram (not_json) from 127.0.0.1:40000, 1 bytes: "{"
`, frame.String())

	// On a terminal, each frame overwrites the last.
	assert.Equal(t, "\x1b[Hone\x1b[K\n\x1b[K\ntwo\x1b[K\n\x1b[J", string(terminalFrame([]byte("one\n\ntwo\n"), 0)))
	// Cut to the terminal's width, so that no line wraps.
	assert.Equal(t, "\x1b[Hünï\x1b[K\nab\x1b[K\n\x1b[J", string(terminalFrame([]byte("ünïcödé\nab\n"), 3)))
}

func TestFit(t *testing.T) {
	env := environment{}
	w, rows := env.fit()
	assert.Equal(t, 0, w)
	assert.Equal(t, liveRows, rows)
	env.termSize = func() (int, int, error) { return 100, 40, nil }
	w, rows = env.fit()
	assert.Equal(t, 100, w)
	assert.Equal(t, 34, rows)
	env.termSize = func() (int, int, error) { return 20, 3, nil }
	_, rows = env.fit()
	assert.Equal(t, 1, rows)
}

func TestJSONLines(t *testing.T) {
	var out bytes.Buffer
	m := feed(monitorOptions{format: linesJSON, out: &out}, [][]byte{
		[]byte("{\n  \"Type\": \"ApiCall\",\n  \"Service\": \"S3\",\n  \"Latency\": 5\n}\n"),
		[]byte(`[{"Type":"ApiCallAttempt","AccessKey":"AKID","SessionToken":"secret-token","Region":"us-west-2"},` +
			`{"Type":"ApiCallAttempt","sessiontoken":"other-token","X":{"SessionToken":"nested stays"}}]`),
		[]byte(`{"Type":"ApiCallAttempt","SessionToken":"` + strings.Repeat("t", 300) + `"}` + "\n" + `{"Type":"Bad"}`),
		[]byte(`garbage`),
	})
	require.NoError(t, m.flush())
	assert.Equal(t, `{"Type":"ApiCall","Service":"S3","Latency":5}
{"Type":"ApiCallAttempt","AccessKey":"AKID","SessionToken":"REDACTED","Region":"us-west-2"}
{"Type":"ApiCallAttempt","sessiontoken":"REDACTED","X":{"SessionToken":"nested stays"}}
{"Type":"ApiCallAttempt","SessionToken":"REDACTED"}
`, out.String())
}

func TestRedactSessionToken(t *testing.T) {
	for in, want := range map[string]string{
		`{}`:                                    `{}`,
		`{"A":1}`:                               `{"A":1}`,
		`{"SessionToken":"x"}`:                  `{"SessionToken":"REDACTED"}`,
		`{"SessionToken":null,"B":[1,{"c":2}]}`: `{"SessionToken":"REDACTED","B":[1,{"c":2}]}`,
		`{"A":{"SessionToken":"x"},"SessionToken":"y","SessionToken":"z"}`: `{"A":{"SessionToken":"x"},"SessionToken":"REDACTED","SessionToken":"REDACTED"}`,
		`{"SessionToken":"a\"b\\c","Z":"SessionToken"}`:                    `{"SessionToken":"REDACTED","Z":"SessionToken"}`,
	} {
		assert.Equal(t, want, string(redactSessionToken([]byte(in))), in)
	}
}

func TestFormatQuantile(t *testing.T) {
	for ms, want := range map[int64]string{
		-1: "-", 0: "0ms", 41: "41ms", 999: "999ms", 1504: "1.50s", 12345: "12.3s", 125000: "2m5s",
	} {
		assert.Equal(t, want, formatQuantile(ms), ms)
	}
}

func TestPrintable(t *testing.T) {
	assert.Equal(t, "-", printable(""))
	assert.Equal(t, "DynamoDB", printable("DynamoDB"))
	assert.Equal(t, "a?[31mb?c?", printable("a\x1b[31mb\nc\u009b"))
	assert.Equal(t, "ünïcödé", printable("ünïcödé"))
}
