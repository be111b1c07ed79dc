package csm_test

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

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
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

// attemptEvents returns the ApiCallAttempt events among events.
func attemptEvents(events []map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["Type"] == "ApiCallAttempt" {
			out = append(out, e)
		}
	}
	return out
}

// timedReporter starts the process's reporter with HTTP timing on.
func timedReporter(t *testing.T) (*csm.Reporter, *reporttest.Agent) {
	t.Helper()
	rep, agent := startReporter(t, "timing")
	rep.SetHTTPTiming(true)
	t.Cleanup(func() { rep.SetHTTPTiming(false) })
	return rep, agent
}

// tlsSession returns a session whose clients reach srv through transport,
// reported by rep.
func tlsSession(t *testing.T, rep *csm.Reporter, srv *reporttest.TLSServer, transport http.RoundTripper, cfgs ...*aws.Config) *session.Session {
	t.Helper()
	reporttest.IsolateEnv(t)
	sess, err := session.NewSession(append([]*aws.Config{{
		Region:           aws.String(testRegion),
		Credentials:      credentials.NewStaticCredentials(testAccessKey, testSecretKey, ""),
		Endpoint:         aws.String(srv.Endpoint),
		S3ForcePathStyle: aws.Bool(true),
		HTTPClient:       &http.Client{Transport: transport},
		SleepDelay:       func(time.Duration) {},
	}}, cfgs...)...)
	require.NoError(t, err)
	rep.InjectHandlers(&sess.Handlers)
	return sess
}

// v1Calls are the real clients' calls the timing tests make.
var v1Calls = []struct {
	name string
	do   func(ctx context.Context, sess *session.Session) error
}{
	{"S3 GetObject", func(ctx context.Context, sess *session.Session) error {
		out, err := s3.New(sess).GetObjectWithContext(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		_, err = io.Copy(io.Discard, out.Body)
		return err
	}},
	{"DynamoDB GetItem", func(ctx context.Context, sess *session.Session) error {
		_, err := dynamodb.New(sess).GetItemWithContext(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("table"),
			Key:       map[string]*dynamodb.AttributeValue{"id": {S: aws.String("1")}},
		})
		return err
	}},
}

// TestHTTPTimingNewAndReusedConnection makes two calls with real clients
// over TLS on loopback: the first dials, the second reuses its connection.
func TestHTTPTimingNewAndReusedConnection(t *testing.T) {
	for _, c := range v1Calls {
		t.Run(c.name, func(t *testing.T) {
			rep, agent := timedReporter(t)
			srv := reporttest.NewTLSServer(t, nil)
			sess := tlsSession(t, rep, srv, srv.Transport())
			require.NoError(t, c.do(testContext(t), sess))
			require.NoError(t, c.do(testContext(t), sess))
			flushAndSync(t, rep, agent)
			attempts := attemptEvents(agent.Events(t))
			require.Len(t, attempts, 2)
			assertNewConnection(t, attempts[0])
			assertReusedConnection(t, attempts[1])
		})
	}
}

// TestHTTPTimingOff checks that without SetHTTPTiming no attempt has any of
// the fields.
func TestHTTPTimingOff(t *testing.T) {
	rep, agent := startReporter(t, "untimed")
	require.False(t, rep.HTTPTiming())
	srv := reporttest.NewTLSServer(t, nil)
	sess := tlsSession(t, rep, srv, srv.Transport())
	for _, c := range v1Calls {
		require.NoError(t, c.do(testContext(t), sess))
	}
	flushAndSync(t, rep, agent)
	events := agent.Events(t)
	require.Len(t, events, 4)
	for _, e := range events {
		for _, f := range timingFields {
			assert.NotContains(t, e, f)
		}
	}
}

// TestHTTPTimingExpectContinue sends an S3 PutObject of 3 MB, which
// aws-sdk-go sends with "Expect: 100-continue": the first response byte is
// then that of the "100 Continue", and RequestLatency must still end with
// the final response, which the server holds back after reading the body.
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
	sess := tlsSession(t, rep, srv, srv.Transport())
	_, err := s3.New(sess).PutObjectWithContext(testContext(t), &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("key"), Body: bytes.NewReader(make([]byte, 3<<20)),
	})
	require.NoError(t, err)
	flushAndSync(t, rep, agent)
	attempts := attemptEvents(agent.Events(t))
	require.Len(t, attempts, 1)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "100-continue", expect, "the SDK asked for a 100 Continue")
	assertNewConnection(t, attempts[0])
	requestLatency, err := jsonInt(attempts[0]["RequestLatency"])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, requestLatency, held.Milliseconds(),
		"RequestLatency covers the time the server held the final response after the 100 Continue")
}

func jsonInt(v any) (int64, error) {
	var n int64
	_, err := fmt.Sscan(fmt.Sprint(v), &n)
	return n, err
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
	sess := tlsSession(t, rep, srv, srv.Transport())
	get := v1Calls[0].do
	require.NoError(t, get(testContext(t), sess))
	require.NoError(t, get(testContext(t), sess))
	flushAndSync(t, rep, agent)
	mu.Lock()
	require.Equal(t, 1, closed, "the server closed the reused connection once")
	require.Len(t, requests, 2, "two connections")
	mu.Unlock()
	attempts := attemptEvents(agent.Events(t))
	require.Len(t, attempts, 2, "net/http's retry is inside one attempt")
	assertNewConnection(t, attempts[0])
	assertNewConnection(t, attempts[1])
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
				served     atomic.Int32
				firstIn    = make(chan struct{})
				holdFirst  = make(chan struct{})
				dialHeld   = make(chan struct{})
				releaseDil = make(chan struct{})
				lateTLS    = make(chan struct{})
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
					<-releaseDil
				}
				return dialer.DialContext(ctx, network, addr)
			}
			sess := tlsSession(t, rep, srv, transport)
			// The first and last calls are GetObject, the one in the
			// middle GetItem, so that their datagrams tell them apart.
			getObject, getItem := v1Calls[0].do, v1Calls[1].do

			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				assert.NoError(t, getObject(testContext(t), sess))
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
				assert.NoError(t, getItem(ctx, sess))
			}()
			<-dialHeld
			close(holdFirst)
			<-gotConn
			if during {
				close(releaseDil)
			}
			wg.Wait()
			if !during {
				close(releaseDil)
				<-lateTLS
			}
			require.NoError(t, getObject(testContext(t), sess))
			flushAndSync(t, rep, agent)

			byAPI := map[string][]map[string]any{}
			for _, e := range attemptEvents(agent.Events(t)) {
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
// put in the request's context keep working: handlers that set the
// context before each attempt as AWS X-Ray's do, and the program's own
// ClientTrace. The call is retried once.
func TestHTTPTimingKeepsContext(t *testing.T) {
	rep, agent := timedReporter(t)
	var served atomic.Int32
	srv := reporttest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"retry"}`)
			return
		}
		reporttest.AWSHandler().ServeHTTP(w, r)
	}))
	sess := tlsSession(t, rep, srv, srv.Transport())

	type segmentKey struct{}
	var tracerConns, tracerSaw, programConns atomic.Int32
	// As X-Ray's handlers: a new context with a value and a trace before
	// each attempt is signed, and a look at it after it is sent.
	sess.Handlers.Sign.PushFrontNamed(request.NamedHandler{Name: "tracer.BeforeSign", Fn: func(r *request.Request) {
		ctx := context.WithValue(r.HTTPRequest.Context(), segmentKey{}, "attempt")
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { tracerConns.Add(1) },
		})
		r.HTTPRequest = r.HTTPRequest.WithContext(ctx)
	}})
	sess.Handlers.Send.PushBackNamed(request.NamedHandler{Name: "tracer.AfterSend", Fn: func(r *request.Request) {
		if r.HTTPRequest.Context().Value(segmentKey{}) == "attempt" {
			tracerSaw.Add(1)
		}
	}})
	ctx := httptrace.WithClientTrace(testContext(t), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { programConns.Add(1) },
	})
	require.NoError(t, v1Calls[1].do(ctx, sess))
	flushAndSync(t, rep, agent)

	attempts := attemptEvents(agent.Events(t))
	require.Len(t, attempts, 2, "one retry")
	assertNewConnection(t, attempts[0])
	assertReusedConnection(t, attempts[1])
	assert.Equal(t, int32(2), tracerSaw.Load(), "the tracer's value is in the context of each attempt")
	assert.GreaterOrEqual(t, tracerConns.Load(), int32(2), "the tracer's trace saw each attempt's connection")
	assert.Equal(t, int32(2), programConns.Load(), "the program's trace saw each attempt's connection")
}

// TestHTTPTimingFromSettings checks that NewSession and Enable time the
// attempts when AWS_CSM_HTTP_TIMING asks for it, and that the
// programmatic switch does the same for a session whose settings do not.
func TestHTTPTimingFromSettings(t *testing.T) {
	for _, setting := range []string{"true", ""} {
		t.Run("AWS_CSM_HTTP_TIMING="+setting, func(t *testing.T) {
			enableThroughEnv(t)
			t.Setenv("AWS_CSM_HTTP_TIMING", setting)
			if setting != "" {
				if s, err := report.LoadSettings(); err != nil || !s.HTTPTiming {
					t.Skip("the CSM settings do not read AWS_CSM_HTTP_TIMING")
				}
			} else {
				// Settings off: the switch turns timing on.
				rep, err := csm.Start("", sdkAgent.Addr())
				require.NoError(t, err)
				rep.SetHTTPTiming(true)
				t.Cleanup(func() { rep.SetHTTPTiming(false) })
			}
			srv := reporttest.NewTLSServer(t, nil)
			sess, err := csm.NewSession(&aws.Config{
				Region:      aws.String(testRegion),
				Credentials: credentials.NewStaticCredentials(testAccessKey, testSecretKey, ""),
				Endpoint:    aws.String(srv.Endpoint),
				HTTPClient:  &http.Client{Transport: srv.Transport()},
			})
			require.NoError(t, err)
			require.NoError(t, v1Calls[1].do(testContext(t), sess))
			require.NoError(t, csm.Get().Flush(testContext(t)))
			sdkAgent.Sync(t)
			attempts := attemptEvents(sdkAgent.Events(t))
			require.Len(t, attempts, 1)
			assertNewConnection(t, attempts[0])
		})
	}
}
