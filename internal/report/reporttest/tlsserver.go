package reporttest

import (
	"crypto/tls"
	"crypto/x509"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TLSServer is an HTTPS server on 127.0.0.1 for the tests of the HTTP timing
// fields: a real TLS listener on loopback, reached by the name "localhost"
// so that a client's dial looks a name up, connects and shakes hands.
type TLSServer struct {
	*httptest.Server
	// Endpoint is the server's URL with the host "localhost".
	Endpoint string
}

// NewTLSServer starts a TLSServer that answers with h (AWSHandler if nil).
// It is closed when the test ends.
func NewTLSServer(t testing.TB, h http.Handler) *TLSServer {
	t.Helper()
	if h == nil {
		h = AWSHandler()
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &TLSServer{Server: srv, Endpoint: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)}
}

// Transport returns a new HTTP/1.1 transport, with a connection pool of its
// own, that trusts the server's certificate (issued for example.com). It
// holds one connection at most, so that a call made after another reuses
// the other's connection: net/http puts a connection back in its pool after
// the call that used it has returned, and a call made meanwhile would dial
// another if it could.
func (s *TLSServer) Transport() *http.Transport {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "example.com"}
	tr.ForceAttemptHTTP2 = false
	tr.MaxConnsPerHost = 1
	return tr
}

// AWSHandler answers S3 and DynamoDB requests as the services do when all
// goes well: DynamoDB (a request with X-Amz-Target) gets an empty JSON
// object with its CRC32; S3 gets an object for a GET, and an ETag for a PUT,
// whose body it reads.
func AWSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Amz-Target") != "" {
			const body = "{}"
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("X-Amzn-Requestid", "DDBREQ")
			w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
			_, _ = io.WriteString(w, body)
			return
		}
		w.Header().Set("X-Amz-Request-Id", "S3REQ")
		w.Header().Set("X-Amz-Id-2", "S3HOST")
		if r.Method == http.MethodPut {
			w.Header().Set("ETag", `"etag"`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	})
}
