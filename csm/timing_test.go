package csm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/testutil"
)

// newLocalhostTLSServer starts an HTTPS server with a certificate for
// "localhost", so that clients reach it through a name lookup, and returns
// it with a pool that trusts it.
func newLocalhostTLSServer(t *testing.T, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)

	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pool
}

// localhostURL turns a test server's 127.0.0.1 URL into one that names
// localhost.
func localhostURL(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

// timingSession returns a session whose clients rep reports, with its own
// HTTP transport (so that connections are not shared between tests).
func timingSession(t *testing.T, rep *csm.Reporter, endpoint string, pool *x509.CertPool) *session.Session {
	t.Helper()
	isolateEnv(t)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(transport.CloseIdleConnections)
	sess, err := session.NewSession(&aws.Config{
		Region:           aws.String(testRegion),
		Endpoint:         aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentials(testAccessKey, testSecretKey, ""),
		S3ForcePathStyle: aws.Bool(true),
		HTTPClient:       &http.Client{Transport: transport},
		MaxRetries:       aws.Int(0),
	})
	require.NoError(t, err)
	rep.InjectHandlers(&sess.Handlers)
	return sess
}

var newConnectionFields = []string{"DnsLatency", "TcpLatency", "ConnectLatency"}

// attemptsOf returns the ApiCallAttempt events.
func attemptsOf(t *testing.T, agent *testutil.Agent) []map[string]any {
	var out []map[string]any
	for _, e := range agent.Events(t) {
		if e["Type"] == "ApiCallAttempt" {
			out = append(out, e)
		}
	}
	return out
}

func TestTimingTLS(t *testing.T) {
	srv, pool := newLocalhostTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amz-request-id", "S3REQUEST")
		fmt.Fprint(w, "object body")
	}))
	rep, agent := startReporter(t, "timing")
	svc := s3.New(timingSession(t, rep, localhostURL(srv.URL), pool))

	for i := 0; i < 2; i++ {
		out, err := svc.GetObject(&s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")})
		require.NoError(t, err)
		// Read to the end: only then does the connection go back to
		// the pool for the second call.
		_, err = io.ReadAll(out.Body)
		require.NoError(t, err)
		require.NoError(t, out.Body.Close())
	}
	flushAndSync(t, rep, agent)
	attempts := attemptsOf(t, agent)
	require.Len(t, attempts, 2)

	first, second := attempts[0], attempts[1]
	assert.Equal(t, "0", stringOf(first["ConnectionReused"]))
	assert.Equal(t, "127.0.0.1", first["DestinationIp"])
	for _, f := range append(newConnectionFields, "SslLatency", "AcquireConnectionLatency", "RequestLatency") {
		assert.Contains(t, first, f, "a new TLS connection through a name lookup")
	}

	assert.Equal(t, "1", stringOf(second["ConnectionReused"]), "the kept-alive connection")
	assert.Equal(t, "127.0.0.1", second["DestinationIp"])
	for _, f := range append(newConnectionFields, "SslLatency") {
		assert.NotContains(t, second, f, "a reused connection has no %s", f)
	}
	assert.Contains(t, second, "AcquireConnectionLatency")
	assert.Contains(t, second, "RequestLatency")
}

func TestTimingPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"TableNames":[]}`)
	}))
	t.Cleanup(srv.Close)
	rep, agent := startReporter(t, "timing")
	_, err := dynamodb.New(timingSession(t, rep, localhostURL(srv.URL), nil)).ListTables(&dynamodb.ListTablesInput{})
	require.NoError(t, err)
	flushAndSync(t, rep, agent)

	attempts := attemptsOf(t, agent)
	require.Len(t, attempts, 1)
	for _, f := range append(newConnectionFields, "AcquireConnectionLatency", "RequestLatency", "ConnectionReused") {
		assert.Contains(t, attempts[0], f)
	}
	assert.NotContains(t, attempts[0], "SslLatency", "no TLS")
}

// TestTimingKeepsUserTrace: a ClientTrace the caller put on the context
// still sees its events.
func TestTimingKeepsUserTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"TableNames":[]}`)
	}))
	t.Cleanup(srv.Close)
	rep, agent := startReporter(t, "timing")
	var gotConn, wrote atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { gotConn.Add(1) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	})
	db := dynamodb.New(timingSession(t, rep, srv.URL, nil))
	_, err := db.ListTablesWithContext(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	flushAndSync(t, rep, agent)

	assert.Equal(t, int32(1), gotConn.Load())
	assert.Equal(t, int32(1), wrote.Load())
	attempts := attemptsOf(t, agent)
	require.Len(t, attempts, 1)
	assert.Contains(t, attempts[0], "AcquireConnectionLatency")
	assert.NotContains(t, attempts[0], "DnsLatency", "an IP address needs no lookup")
}

// TestTimingFailedConnect: an attempt that never connected carries only what
// it measured.
func TestTimingFailedConnect(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	rep, agent := startReporter(t, "timing")
	_, err := dynamodb.New(timingSession(t, rep, url, nil)).ListTables(&dynamodb.ListTablesInput{})
	require.Error(t, err)
	flushAndSync(t, rep, agent)

	attempts := attemptsOf(t, agent)
	require.Len(t, attempts, 1)
	assert.Contains(t, attempts[0], "TcpLatency", "the refused connect was timed")
	for _, f := range []string{"ConnectionReused", "DestinationIp", "AcquireConnectionLatency", "RequestLatency", "ConnectLatency", "DnsLatency", "SslLatency"} {
		assert.NotContains(t, attempts[0], f)
	}
}

// TestTimingRetriesDoNotStack: each retry gets a trace of its own.
func TestTimingRetriesDoNotStack(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"__type":"InternalServerError","message":"again"}`)
			return
		}
		fmt.Fprint(w, `{"TableNames":[]}`)
	}))
	t.Cleanup(srv.Close)
	rep, agent := startReporter(t, "timing")
	sess := timingSession(t, rep, srv.URL, nil)
	var gotConn atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Add(1) },
	})
	db := dynamodb.New(sess, &aws.Config{MaxRetries: aws.Int(2), SleepDelay: func(time.Duration) {}})
	_, err := db.ListTablesWithContext(ctx, &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	flushAndSync(t, rep, agent)

	assert.Equal(t, int32(3), gotConn.Load(), "the caller's hook once per attempt, not once per trace stacked")
	attempts := attemptsOf(t, agent)
	require.Len(t, attempts, 3)
	assert.Equal(t, "0", stringOf(attempts[0]["ConnectionReused"]))
	assert.Equal(t, "1", stringOf(attempts[1]["ConnectionReused"]))
	assert.Equal(t, "1", stringOf(attempts[2]["ConnectionReused"]))
}
