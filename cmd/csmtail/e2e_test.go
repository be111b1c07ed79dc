package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
)

// TestEndToEnd makes real aws-sdk-go calls against a fake AWS, reported by
// the csm package over UDP to csmtail's receiver, and checks what csmtail
// counted, showed and exported.
func TestEndToEnd(t *testing.T) {
	lines := &syncBuffer{}
	r, stop := startReceiver(t, agentConn, monitorOptions{format: linesPlain, out: lines}, maxDatagram)
	fake := httptest.NewServer(newFakeAWS(false))
	defer fake.Close()
	closed, err := closedEndpoint()
	require.NoError(t, err)
	client, err := startV1(target{endpoint: fake.URL, closed: closed, agent: agentConn.LocalAddr().String(), clientID: demoClientID})
	require.NoError(t, err)
	defer client.close()
	rep := csm.Get()
	sentBefore := rep.Stats().Sent

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	calls := []struct {
		call demoCall
		fail bool
	}{
		{callListTables, false},
		{callListTables, false},
		{callGetItem, false},
		{callGetItemFlaky, false},    // 500, then 200
		{callGetItemThrottled, true}, // 4 attempts, retries exceeded
		{callDescribeMissing, true},  // ResourceNotFoundException
		{callGetObject, false},       // 200
		{callGetObjectMissing, true}, // NoSuchKey
		{callGetObjectMissing, true}, // NoSuchKey
		{callPutObjectFlaky, false},  // 503 SlowDown, then 200
		{callUnreachable, true},      // connection refused, 4 attempts
	}
	for i, c := range calls {
		err := client.call(ctx, c.call, "e2e-"+string(rune('a'+i)))
		assert.Equal(t, c.fail, err != nil, "call %d (%d): %v", i, c.call, err)
	}
	require.NoError(t, rep.Flush(ctx))
	sent := rep.Stats().Sent - sentBefore
	// 11 calls; attempts: 1+1+1+2+4+1+1+1+1+2+4 = 19.
	require.Equal(t, uint64(11+19), sent)
	r.wait(t, sent)
	metrics := scrape(t, r.mon)
	stop()
	require.NoError(t, r.mon.flush())

	s := r.mon.snapshot()
	assert.Equal(t, sent, s.datagrams)
	assert.Zero(t, s.badTotal)
	assert.Equal(t, uint64(11), s.calls)
	assert.Equal(t, uint64(19), s.attempts)
	rows := map[string]rowView{}
	for _, row := range s.rows {
		rows[row.service+" "+row.api] = row
	}
	require.Len(t, rows, 5)

	type counts struct{ calls, attempts, retries, errors, retriesExceeded uint64 }
	for name, want := range map[string]counts{
		"DynamoDB ListTables":    {3, 6, 3, 1, 1},
		"DynamoDB GetItem":       {3, 7, 4, 1, 1},
		"DynamoDB DescribeTable": {1, 1, 0, 1, 0},
		"S3 GetObject":           {3, 3, 0, 2, 0},
		"S3 PutObject":           {1, 2, 1, 0, 0},
	} {
		row := rows[name]
		assert.Equal(t, want, counts{row.calls, row.attempts, row.retries, row.errors, row.retriesExceeded}, name)
		assert.GreaterOrEqual(t, row.p99, row.p50, name)
	}
	assert.Equal(t, []nameCount{{"RequestError", 1}}, rows["DynamoDB ListTables"].exceptions)
	assert.Equal(t, []nameCount{{"ProvisionedThroughputExceededException", 1}}, rows["DynamoDB GetItem"].exceptions)
	assert.Equal(t, []nameCount{{"ResourceNotFoundException", 1}}, rows["DynamoDB DescribeTable"].exceptions)
	assert.Equal(t, []nameCount{{"NoSuchKey", 2}}, rows["S3 GetObject"].exceptions)

	// A line per call, in the order the calls were made.
	got := strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n")
	require.Len(t, got, len(calls))
	want := []string{
		"DynamoDB ListTables 200 attempts=1",
		"DynamoDB ListTables 200 attempts=1",
		"DynamoDB GetItem 200 attempts=1",
		"DynamoDB GetItem 200 attempts=2",
		"DynamoDB GetItem 400 ProvisionedThroughputExceededException attempts=4",
		"DynamoDB DescribeTable 400 ResourceNotFoundException attempts=1",
		"S3 GetObject 200 attempts=1",
		"S3 GetObject 404 NoSuchKey attempts=1",
		"S3 GetObject 404 NoSuchKey attempts=1",
		"S3 PutObject 200 attempts=2",
		"DynamoDB ListTables - RequestError attempts=4",
	}
	for i, line := range got {
		_, rest, _ := strings.Cut(line, " ") // the time of day
		assert.True(t, strings.HasPrefix(rest, want[i]+" latency="), "line %d: %q", i, line)
		assert.True(t, strings.HasSuffix(rest, " client="+demoClientID), "line %d: %q", i, line)
		assert.Equal(t, i == 4 || i == 10, strings.Contains(rest, " retries-exceeded "), "line %d: %q", i, line)
	}

	// The same through Prometheus.
	for _, c := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "ListTables", "status": "200", "exception": ""}, 2},
		{"csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "ListTables", "status": "none", "exception": "RequestError"}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "DynamoDB", "api": "ListTables", "status": "none", "exception": "RequestError"}, 4},
		{"csm_api_calls_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "400", "exception": "ProvisionedThroughputExceededException"}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "DynamoDB", "api": "GetItem", "status": "500", "exception": "InternalServerError"}, 1},
		{"csm_api_call_attempts_total", map[string]string{"service": "S3", "api": "PutObject", "status": "503", "exception": "SlowDown"}, 1},
		{"csm_api_calls_total", map[string]string{"service": "S3", "api": "GetObject", "status": "404", "exception": "NoSuchKey"}, 2},
		{"csm_api_call_retries_exceeded_total", map[string]string{"service": "DynamoDB", "api": "GetItem"}, 1},
		{"csmtail_datagrams_total", nil, float64(sent)},
		{"csmtail_events_total", map[string]string{"type": "ApiCallAttempt"}, 19},
	} {
		assert.Equal(t, c.value, metrics.value(t, c.name, c.labels), "%s %v", c.name, c.labels)
	}
	assert.Equal(t, uint64(11), metrics.histogramCount(t, "csm_api_call_latency_seconds", nil))
}

// waitUntil is a sync point for tests that wait on something other than
// datagrams.
func waitUntil(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, waitLimit, time.Millisecond, msg)
}
