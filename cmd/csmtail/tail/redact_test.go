package tail

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretDatagrams hold a session token and an access key ID, good and bad.
var secretDatagrams = [][]byte{
	[]byte(attemptJSON),
	[]byte(`{"Type":"ApiCall","Service":"S3","Api":"GetObject","AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN","Latency":3}`),
	// Bad: cut short, the token in the first 200 bytes.
	[]byte(`{"Type":"ApiCall","AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN","Latency":`),
	// Bad: an unknown type.
	[]byte(`{"Type":"Nope","sessionToken":"FwoGZXIvYXdzEXAMPLETOKEN"}`),
}

// assertNoSecret checks that out shows neither the token nor the whole
// access key ID.
func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	assert.NotContains(t, out, "FwoGZXIvYXdzEXAMPLETOKEN", what+": the session token")
	assert.NotContains(t, out, "AKIAIOSFODNN7EXAMPLE", what+": the access key ID")
	assert.NotContains(t, out, "AKIAIOSFODNN7", what+": the access key ID's start")
}

// TestSecretsNeverShown sends datagrams with secrets, good and bad, and
// checks every output mode: --json, --plain, --show-bad, the live view
// and its summary, and the Prometheus exposition.
func TestSecretsNeverShown(t *testing.T) {
	for _, format := range []lineFormat{linesJSON, linesPlain} {
		h := newHarness(t, options{lines: &format, showBad: true})
		h.send(t, secretDatagrams...)
		h.wait(t, uint64(len(secretDatagrams)))
		h.stop(t)
		out, bad := h.out.String(), h.bad.String()
		assertNoSecret(t, "lines", out)
		assertNoSecret(t, "--show-bad", bad)
		assert.Equal(t, 2, strings.Count(bad, "bad datagram"), bad)
		if format == linesJSON {
			assert.Equal(t, 2, strings.Count(out, `"SessionToken":"REDACTED"`), out)
			assert.Equal(t, 2, strings.Count(out, `"AccessKey":"****MPLE"`), out)
		}
		assert.Contains(t, bad, `\"SessionToken\":\"REDACTED\"`)
		assert.Contains(t, bad, `\"sessionToken\":\"REDACTED\"`)

		now := time.Now()
		s := h.agg.snapshot(now)
		require.Len(t, s.recentBad, 2)
		v := newLiveView(defaultDims(), "title", now)
		assertNoSecret(t, "live view", v.frame(h.stats.snapshot(), s, now, 0, 0))
		assertNoSecret(t, "summary", v.summary(h.stats.snapshot(), s, now, 0))

		rec := httptest.NewRecorder()
		promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		assertNoSecret(t, "metrics", rec.Body.String())
		assert.NotContains(t, rec.Body.String(), "****", "the access key is no label, not even masked")
	}
}

// TestShowBadSample checks what --show-bad shows of a bad datagram: its
// start, quoted, its size, with the secrets masked before the cut.
func TestShowBadSample(t *testing.T) {
	assert.Equal(t, `8 bytes: "nope\x1b[2J"`, badSample([]byte("nope\x1b[2J"), badNotJSON))
	long := bytes.Repeat([]byte("x"), 300)
	assert.Equal(t, `more than 299 bytes: "`+strings.Repeat("x", badSampleLen)+`"...`, badSample(long, badTooLarge))
	// A token that the cut would split is masked whole first.
	cut := append(bytes.Repeat([]byte(" "), badSampleLen-20), `{"SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN"}`...)
	assert.NotContains(t, badSample(cut, badNotJSON), "FwoGZ")
	_, _ = io.Discard.Write(nil)
}

// defaultDims are the dimensions without --by.
func defaultDims() []dimension { return []dimension{dimService, dimAPI} }
