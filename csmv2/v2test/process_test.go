package v2test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credentialsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	dynamodbv1 "github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// datagram is one datagram and the address it came from.
type datagram struct {
	from    string
	payload []byte
}

// sourceAgent is a UDP agent on 127.0.0.1 that keeps where each datagram
// came from, which testutil's agent does not tell.
type sourceAgent struct {
	conn *net.UDPConn
}

func newSourceAgent(t *testing.T) *sourceAgent {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &sourceAgent{conn: conn}
}

func (a *sourceAgent) Addr() string { return a.conn.LocalAddr().String() }

// read returns the next n datagrams. The deadline is a safety net against a
// hung test: the datagrams are in the socket's buffer once Flush returns.
func (a *sourceAgent) read(t *testing.T, n int) []datagram {
	t.Helper()
	require.NoError(t, a.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 65535)
	var out []datagram
	for len(out) < n {
		k, from, err := a.conn.ReadFromUDP(buf)
		require.NoError(t, err, "after %d of %d datagrams", len(out), n)
		out = append(out, datagram{from: from.String(), payload: bytes.Clone(buf[:k])})
	}
	return out
}

// newV1Session returns an aws-sdk-go v1 session towards endpoint with the
// reporter's handlers.
func newV1Session(t *testing.T, rep *csm.Reporter, endpoint string) *session.Session {
	t.Helper()
	sess, err := session.NewSession(&awsv1.Config{
		Region:      awsv1.String(testRegion),
		Endpoint:    awsv1.String(endpoint),
		Credentials: credentialsv1.NewStaticCredentials(testAccessKey, testSecretKey, ""),
		MaxRetries:  awsv1.Int(0),
	})
	require.NoError(t, err)
	rep.InjectHandlers(&sess.Handlers)
	return sess
}

// TestV1AndV2OneStream makes an aws-sdk-go v1 call and an aws-sdk-go-v2 call
// in one process: their datagrams come from one socket, with one client ID,
// and the two packages' reporters are one, with one set of counters.
func TestV1AndV2OneStream(t *testing.T) {
	agent := newSourceAgent(t)
	rep2, err := csmv2.Start(testClientID, agent.Addr())
	require.NoError(t, err)
	t.Cleanup(resetReporter)
	rep1, err := csm.Start(testClientID, agent.Addr())
	require.NoError(t, err, "package csm joins the reporter csmv2 started")
	require.Same(t, rep1, csm.Get())
	require.Same(t, rep2, csmv2.Get())

	srv := newScript(t, ddbTables, ddbTables)
	endpoint := newServer(t, srv)
	ctx := testContext(t)

	_, err = dynamodbv1.New(newV1Session(t, rep1, endpoint)).ListTablesWithContext(ctx, &dynamodbv1.ListTablesInput{})
	require.NoError(t, err)
	cfg := loadConfig(t, endpoint)
	cfg.APIOptions = append(cfg.APIOptions, rep2.AddMiddleware)
	_, err = newDynamoDB(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)

	require.NoError(t, rep2.Flush(ctx))
	got := agent.read(t, 4)
	var userAgents []string
	for _, d := range got {
		assert.Equal(t, got[0].from, d.from, "every datagram comes from the one socket")
		assert.NotContains(t, string(d.payload), testSecretKey)
		e := reporttest.Decode(t, d.payload)
		assertFields(t, e, map[string]string{
			"ClientId": testClientID, "Service": "DynamoDB", "Api": "ListTables", "Region": testRegion,
		})
		if e["Type"] == "ApiCallAttempt" {
			assertFields(t, e, map[string]string{"AccessKey": testAccessKey, "Fqdn": "127.0.0.1", "HttpStatusCode": "200"})
		} else {
			assertFields(t, e, map[string]string{"AttemptCount": "1", "FinalHttpStatusCode": "200"})
		}
		userAgents = append(userAgents, e["UserAgent"].(string))
	}
	// The user agents tell which SDK made each call: v1's first, then v2's.
	require.Len(t, userAgents, 4)
	for i, sdk := range []string{"aws-sdk-go/", "aws-sdk-go/", "aws-sdk-go-v2/", "aws-sdk-go-v2/"} {
		assert.Contains(t, userAgents[i], sdk, "datagram %d", i)
	}
	assert.NotContains(t, userAgents[0], "aws-sdk-go-v2/")

	want := csmv2.Stats{Queued: 4, Sent: 4}
	assert.Equal(t, want, rep2.Stats())
	assert.Equal(t, want, csmv2.Stats(rep1.Stats()), "one set of counters")
}

// TestPauseContinue pauses the reporter, through csmv2 or through csm,
// around a v2 call: the call made while paused is counted as dropped and
// not sent; the call made after Continue is reported.
func TestPauseContinue(t *testing.T) {
	type pauser interface {
		Pause()
		Continue()
	}
	tests := []struct {
		name string
		get  func() pauser
	}{
		{"csmv2", func() pauser { return csmv2.Get() }},
		{"csm", func() pauser { return csm.Get() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, agent := startReporter(t)
			srv := newScript(t, ddbTables, ddbTables, ddbTables)
			cfg := loadConfig(t, newServer(t, srv))
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
			client := newDynamoDB(cfg)
			ctx := testContext(t)
			p := tt.get()

			p.Pause()
			p.Pause() // twice is as once
			_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
			require.NoError(t, err, "a paused reporter does not fail calls")
			flushAndSync(t, rep, agent)
			assert.Zero(t, agent.Len())
			assert.Equal(t, csmv2.Stats{DroppedPaused: 2}, rep.Stats(), "the attempt's and the call's metrics")

			p.Continue()
			_, err = client.ListTables(ctx, &dynamodb.ListTablesInput{})
			require.NoError(t, err)
			events := collect(t, rep, agent)
			require.Len(t, events, 2)
			assertFields(t, attempts(events)[0], map[string]string{"Service": "DynamoDB", "Api": "ListTables", "HttpStatusCode": "200"})
			assertFields(t, calls(events)[0], map[string]string{"Service": "DynamoDB", "Api": "ListTables", "AttemptCount": "1"})
			assert.Equal(t, csmv2.Stats{Queued: 2, Sent: 2, DroppedPaused: 2}, rep.Stats())

			p.Continue() // when not paused, a no-op
			_, err = client.ListTables(ctx, &dynamodb.ListTablesInput{})
			require.NoError(t, err)
			flushAndSync(t, rep, agent)
			assert.Equal(t, 4, agent.Len())
		})
	}
}

// TestV1AndV2OneTimingSwitch: the HTTP timing switch is the process
// reporter's, as Pause is: set through one package, it is on for the other,
// and a reporter started anew starts with it off.
func TestV1AndV2OneTimingSwitch(t *testing.T) {
	agent := newSourceAgent(t)
	rep2, err := csmv2.Start(testClientID, agent.Addr())
	require.NoError(t, err)
	t.Cleanup(resetReporter)
	rep1, err := csm.Start(testClientID, agent.Addr())
	require.NoError(t, err)

	rep1.SetHTTPTiming(true)
	assert.True(t, rep2.HTTPTiming(), "on through csm, on for csmv2")
	rep2.SetHTTPTiming(false)
	assert.False(t, rep1.HTTPTiming(), "off through csmv2, off for csm")

	rep2.SetHTTPTiming(true)
	resetReporter()
	rep2, err = csmv2.Start(testClientID, agent.Addr())
	require.NoError(t, err)
	assert.False(t, rep2.HTTPTiming(), "a new reporter starts with timing off")
	assert.False(t, csm.Get().HTTPTiming())
}
