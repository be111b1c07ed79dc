package v2test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// The eight HTTP timing fields, and those only a new connection has.
var (
	timingFields = []string{"DnsLatency", "TcpLatency", "SslLatency", "ConnectLatency",
		"AcquireConnectionLatency", "RequestLatency", "ConnectionReused", "DestinationIp"}
	dialFields = []string{"DnsLatency", "TcpLatency", "SslLatency", "ConnectLatency"}
)

// assertNewConnection checks that an attempt made on a connection dialed
// for it has all eight fields.
func assertNewConnection(t *testing.T, e map[string]any) {
	t.Helper()
	for _, f := range timingFields {
		assert.Contains(t, e, f, "a new connection's attempt")
	}
	assert.Equal(t, "0", fmt.Sprint(e["ConnectionReused"]), "ConnectionReused of %v", e)
	assert.Equal(t, "127.0.0.1", e["DestinationIp"])
}

// assertReusedConnection checks that an attempt made on a reused connection
// says so and has no field of a dial.
func assertReusedConnection(t *testing.T, e map[string]any) {
	t.Helper()
	assert.Equal(t, "1", fmt.Sprint(e["ConnectionReused"]), "ConnectionReused of %v", e)
	for _, f := range []string{"AcquireConnectionLatency", "RequestLatency", "DestinationIp"} {
		assert.Contains(t, e, f, "a reused connection's attempt")
	}
	for _, f := range dialFields {
		assert.NotContains(t, e, f, "a reused connection's attempt")
	}
}

// timedReporter starts the process's reporter with HTTP timing on.
func timedReporter(t *testing.T) (*csmv2.Reporter, *reporttest.Agent) {
	t.Helper()
	rep, agent := startReporter(t)
	rep.SetHTTPTiming(true)
	t.Cleanup(func() { rep.SetHTTPTiming(false) })
	return rep, agent
}

// tlsConfig returns a config whose clients reach srv through transport,
// reported by rep. The requests' bodies go through plainBodyTransport, so
// that a call made after another reuses the other's connection.
func tlsConfig(t *testing.T, rep *csmv2.Reporter, srv *reporttest.TLSServer, transport http.RoundTripper) aws.Config {
	t.Helper()
	cfg := loadConfig(t, srv.Endpoint, config.WithHTTPClient(&http.Client{Transport: plainBodyTransport{transport}}))
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	return cfg
}

// v2Calls are the real clients' calls the timing tests make.
var v2Calls = []struct {
	name string
	do   func(ctx context.Context, cfg aws.Config) error
}{
	{"S3 GetObject", func(ctx context.Context, cfg aws.Config) error { return getObject(ctx, newS3(cfg)) }},
	{"DynamoDB GetItem", func(ctx context.Context, cfg aws.Config) error {
		_, err := newDynamoDB(cfg).GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("table"),
			Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "1"}},
		})
		return err
	}},
}

// TestHTTPTimingNewAndReusedConnection makes two calls with real clients
// over TLS on loopback: the first dials, the second reuses its connection.
func TestHTTPTimingNewAndReusedConnection(t *testing.T) {
	for _, c := range v2Calls {
		t.Run(c.name, func(t *testing.T) {
			rep, agent := timedReporter(t)
			srv := reporttest.NewTLSServer(t, nil)
			cfg := tlsConfig(t, rep, srv, srv.Transport())
			require.NoError(t, c.do(testContext(t), cfg))
			require.NoError(t, c.do(testContext(t), cfg))
			got := attempts(collect(t, rep, agent))
			require.Len(t, got, 2)
			assertNewConnection(t, got[0])
			assertReusedConnection(t, got[1])
		})
	}
}

// TestHTTPTimingOff checks that without SetHTTPTiming no attempt has any of
// the fields.
func TestHTTPTimingOff(t *testing.T) {
	rep, agent := startReporter(t)
	require.False(t, rep.HTTPTiming())
	srv := reporttest.NewTLSServer(t, nil)
	cfg := tlsConfig(t, rep, srv, srv.Transport())
	for _, c := range v2Calls {
		require.NoError(t, c.do(testContext(t), cfg))
	}
	events := collect(t, rep, agent)
	require.Len(t, events, 4)
	for _, e := range events {
		for _, f := range timingFields {
			assert.NotContains(t, e, f)
		}
	}
}

// TestHTTPTimingExpectContinue sends an S3 PutObject of 3 MB, which
// aws-sdk-go-v2 sends with "Expect: 100-continue": RequestLatency must end
// with the final response, which the server holds back after reading the
// body, not with the 100 Continue.
func TestHTTPTimingExpectContinue(t *testing.T) {
	rep, agent := timedReporter(t)
	var (
		mu     sync.Mutex
		expect string
		held   time.Duration
	)
	srv := reporttest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // sends the 100 Continue
		read := time.Now()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		expect, held = r.Header.Get("Expect"), time.Since(read)
		mu.Unlock()
		reporttest.AWSHandler().ServeHTTP(w, r)
	}))
	cfg := tlsConfig(t, rep, srv, srv.Transport())
	_, err := newS3(cfg).PutObject(testContext(t), &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("key"), Body: bytes.NewReader(make([]byte, 3<<20)),
	})
	require.NoError(t, err)
	got := attempts(collect(t, rep, agent))
	require.Len(t, got, 1)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "100-continue", expect, "the SDK asked for a 100 Continue")
	assertNewConnection(t, got[0])
	var requestLatency int64
	_, err = fmt.Sscan(fmt.Sprint(got[0]["RequestLatency"]), &requestLatency)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, requestLatency, held.Milliseconds(),
		"RequestLatency covers the time the server held the final response after the 100 Continue")
}

// TestHTTPTimingRetryInsideNetHTTP has the server close a reused connection
// when the request arrives: net/http then retries the GET on a connection it
// dials (a second GetConn in one attempt), and the attempt's fields are
// those of the second connection.
func TestHTTPTimingRetryInsideNetHTTP(t *testing.T) {
	rep, agent := timedReporter(t)
	var (
		mu       sync.Mutex
		requests = map[string]int{} // by client address: by connection
		closed   int
	)
	srv := reporttest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests[r.RemoteAddr]++
		second := requests[r.RemoteAddr] == 2
		if second {
			closed++
		}
		mu.Unlock()
		if second {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		reporttest.AWSHandler().ServeHTTP(w, r)
	}))
	cfg := tlsConfig(t, rep, srv, srv.Transport())
	get := v2Calls[0].do
	require.NoError(t, get(testContext(t), cfg))
	require.NoError(t, get(testContext(t), cfg))
	got := attempts(collect(t, rep, agent))
	mu.Lock()
	require.Equal(t, 1, closed, "the server closed the reused connection once")
	require.Len(t, requests, 2, "two connections")
	mu.Unlock()
	require.Len(t, got, 2, "net/http's retry is inside one attempt")
	assertNewConnection(t, got[0])
	assertNewConnection(t, got[1])
}

// TestHTTPTimingLateDial makes an attempt start a dial and then take an
// idle connection that came back first: the dial goes on and calls the
// attempt's hooks after the attempt got its connection, or after it ended.
// Neither that attempt nor the next reports the dial.
func TestHTTPTimingLateDial(t *testing.T) {
	for _, during := range []bool{true, false} {
		name := "dial ends after the attempt"
		if during {
			name = "dial ends during the attempt"
		}
		t.Run(name, func(t *testing.T) {
			rep, agent := timedReporter(t)
			var (
				served      atomic.Int32
				firstIn     = make(chan struct{})
				holdFirst   = make(chan struct{})
				dialHeld    = make(chan struct{})
				releaseDial = make(chan struct{})
				lateTLS     = make(chan struct{})
			)
			srv := reporttest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch served.Add(1) {
				case 1:
					close(firstIn)
					<-holdFirst
				case 2:
					if during {
						<-lateTLS
					}
				}
				reporttest.AWSHandler().ServeHTTP(w, r)
			}))
			transport := srv.Transport()
			transport.MaxConnsPerHost = 0 // the second call dials while the first holds its connection
			var dials atomic.Int32
			dialer := &net.Dialer{}
			transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) == 2 {
					close(dialHeld)
					<-releaseDial
				}
				return dialer.DialContext(ctx, network, addr)
			}
			cfg := tlsConfig(t, rep, srv, transport)
			// The first and last calls are GetObject, the one in the
			// middle GetItem, so that their datagrams tell them apart.
			getObject, getItem := v2Calls[0].do, v2Calls[1].do

			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				assert.NoError(t, getObject(testContext(t), cfg))
			}()
			<-firstIn
			// The second call's own trace tells the test when the held
			// connection reached it and when the late dial's TLS is done.
			gotConn := make(chan struct{})
			var once sync.Once
			ctx := httptrace.WithClientTrace(testContext(t), &httptrace.ClientTrace{
				GotConn: func(httptrace.GotConnInfo) { close(gotConn) },
				TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
					if err == nil {
						once.Do(func() { close(lateTLS) })
					}
				},
			})
			go func() {
				defer wg.Done()
				assert.NoError(t, getItem(ctx, cfg))
			}()
			<-dialHeld
			close(holdFirst)
			<-gotConn
			if during {
				close(releaseDial)
			}
			wg.Wait()
			if !during {
				close(releaseDial)
				<-lateTLS
			}
			require.NoError(t, getObject(testContext(t), cfg))

			byAPI := map[string][]map[string]any{}
			for _, e := range attempts(collect(t, rep, agent)) {
				byAPI[fmt.Sprint(e["Api"])] = append(byAPI[fmt.Sprint(e["Api"])], e)
			}
			require.Len(t, byAPI["GetObject"], 2)
			require.Len(t, byAPI["GetItem"], 1)
			assertNewConnection(t, byAPI["GetObject"][0])
			assertReusedConnection(t, byAPI["GetItem"][0])
			for _, f := range dialFields {
				assert.NotContains(t, byAPI["GetObject"][1], f, "the next attempt dialed nothing")
			}
		})
	}
}

// TestHTTPTimingKeepsContext checks that the values and traces that others
// put in the operation's context keep working: a tracer's middleware that
// sets a value and a ClientTrace before each attempt, and the program's own
// ClientTrace. The call is retried once.
func TestHTTPTimingKeepsContext(t *testing.T) {
	rep, agent := timedReporter(t)
	var served atomic.Int32
	srv := reporttest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			ddbInternalError.write(w)
			return
		}
		reporttest.AWSHandler().ServeHTTP(w, r)
	}))
	cfg := tlsConfig(t, rep, srv, srv.Transport())

	type segmentKey struct{}
	var tracerConns, tracerSaw, programConns atomic.Int32
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		// As a tracer's instrumentation: a value and a trace in the
		// context of each attempt, and a look at it right before the
		// request is sent.
		if err := stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("tracer.Attempt",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				ctx = context.WithValue(ctx, segmentKey{}, "attempt")
				ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
					GotConn: func(httptrace.GotConnInfo) { tracerConns.Add(1) },
				})
				return next.HandleFinalize(ctx, in)
			}), middleware.After); err != nil {
			return err
		}
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("tracer.Send",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				if ctx.Value(segmentKey{}) == "attempt" {
					tracerSaw.Add(1)
				}
				return next.HandleDeserialize(ctx, in)
			}), middleware.After)
	})
	ctx := httptrace.WithClientTrace(testContext(t), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { programConns.Add(1) },
	})
	require.NoError(t, v2Calls[1].do(ctx, cfg))

	got := attempts(collect(t, rep, agent))
	require.Len(t, got, 2, "one retry")
	assertNewConnection(t, got[0])
	assertReusedConnection(t, got[1])
	assert.Equal(t, int32(2), tracerSaw.Load(), "the tracer's value is in the context of each attempt")
	assert.Equal(t, int32(2), tracerConns.Load(), "the tracer's trace saw each attempt's connection")
	assert.Equal(t, int32(2), programConns.Load(), "the program's trace saw each attempt's connection")
}

// TestHTTPTimingFromSettings checks that Enable times the attempts of the
// clients of its config when AWS_CSM_HTTP_TIMING asks for it, and that the
// programmatic switch does the same when the settings do not.
func TestHTTPTimingFromSettings(t *testing.T) {
	for _, setting := range []string{"true", ""} {
		t.Run("AWS_CSM_HTTP_TIMING="+setting, func(t *testing.T) {
			rep, agent := startReporter(t)
			t.Setenv("AWS_CSM_ENABLED", "true")
			t.Setenv("AWS_CSM_CLIENT_ID", testClientID)
			t.Setenv("AWS_CSM_PORT", agent.Port())
			t.Setenv("AWS_CSM_HTTP_TIMING", setting)
			if setting != "" {
				if s, err := report.LoadSettings(); err != nil || !s.HTTPTiming {
					t.Skip("the CSM settings do not read AWS_CSM_HTTP_TIMING")
				}
			} else {
				rep.SetHTTPTiming(true)
				t.Cleanup(func() { rep.SetHTTPTiming(false) })
			}
			srv := reporttest.NewTLSServer(t, nil)
			cfg := loadConfig(t, srv.Endpoint, config.WithHTTPClient(&http.Client{Transport: srv.Transport()}))
			got, err := csmv2.Enable(&cfg)
			require.NoError(t, err)
			require.Same(t, rep, got)
			require.NoError(t, v2Calls[1].do(testContext(t), cfg))
			events := attempts(collect(t, rep, agent))
			require.Len(t, events, 1)
			assertNewConnection(t, events[0])
		})
	}
}
