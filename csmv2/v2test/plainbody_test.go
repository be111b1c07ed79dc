package v2test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plainBodyTransport sends every request through its transport with the
// request's body reduced to a plain io.ReadCloser, so that the tests of
// connection reuse do not depend on a race between aws-sdk-go-v2 and
// net/http on loopback.
//
// aws-sdk-go-v2 closes a request's body as soon as its HTTP client returns
// the response. net/http writes a body of known length straight to the
// connection and then, from its connection's write goroutine, reads the body
// once more to check that nothing is left; on loopback the server's response
// can come back before that last read. smithy-go's body then answers the
// read, a WriteTo, with io.EOF, which io.Copy returns as an error: net/http
// takes it for a failed write and closes the connection, and the next call
// dials instead of reusing it. Without WriteTo the last read goes through
// Read, which answers a closed body with io.EOF and no error, and the
// connection goes back to the pool whichever comes first. Across a network
// the response arrives long after the body's last read, and the race is
// rarely lost; TestSDKRequestBodyReadAfterClose checks that the SDK still
// behaves so.
type plainBodyTransport struct {
	http.RoundTripper
}

// RoundTrip sends a copy of req whose body has only Read and Close.
func (t plainBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.RoundTripper.RoundTrip(req)
	}
	plain := req.Clone(req.Context())
	plain.Body = plainBody{req.Body}
	return t.RoundTripper.RoundTrip(plain)
}

// plainBody hides every method of its body but Read and Close.
type plainBody struct {
	body io.ReadCloser
}

func (b plainBody) Read(p []byte) (int, error) { return b.body.Read(p) }

func (b plainBody) Close() error { return b.body.Close() }

// TestSDKRequestBodyReadAfterClose reads the body that aws-sdk-go-v2 gives
// net/http for a request, after the SDK closed it, as net/http's last check
// for bytes beyond the Content-Length does: io.Copy fails with io.EOF, which
// is what makes net/http close a connection that plainBodyTransport keeps.
// Should the SDK stop failing here, plainBodyTransport is no longer needed.
func TestSDKRequestBodyReadAfterClose(t *testing.T) {
	newBody := func(t *testing.T) io.ReadCloser {
		req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
		req, err := req.SetStream(bytes.NewReader([]byte(`{"TableName":"table"}`)))
		require.NoError(t, err)
		req.ContentLength = 21
		built := req.Build(context.Background())
		require.NotNil(t, built.Body)
		return built.Body
	}

	t.Run("as the SDK sends it", func(t *testing.T) {
		body := newBody(t)
		require.Implements(t, (*io.WriterTo)(nil), body, "io.Copy reads the body with WriteTo")
		require.NoError(t, body.Close())
		_, err := io.Copy(io.Discard, body)
		assert.ErrorIs(t, err, io.EOF, "the SDK's body fails a read after Close")
	})
	t.Run("through plainBodyTransport", func(t *testing.T) {
		body := plainBody{newBody(t)}
		require.NoError(t, body.Close())
		_, err := io.Copy(io.Discard, body)
		assert.NoError(t, err, "a plain body reads as empty after Close")
	})
}
