package report

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

const testAuthorization = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"

func TestReadRequest(t *testing.T) {
	signed := func(host string, h http.Header) *http.Request {
		return &http.Request{URL: &url.URL{Scheme: "https", Host: host, Path: "/"}, Header: h}
	}
	full := http.Header{
		"User-Agent":           {"aws-sdk-go-v2/1.48.0", "second"},
		"Authorization":        {testAuthorization},
		"X-Amz-Security-Token": {"TOKEN"},
	}
	cases := []struct {
		name      string
		kind      Kind
		req       *http.Request
		sendToken bool
		want      Metric
	}{
		{"attempt, every header", KindAPICallAttempt, signed("dynamodb.us-west-2.amazonaws.com", full), true,
			Metric{userAgent: "aws-sdk-go-v2/1.48.0", fqdn: "dynamodb.us-west-2.amazonaws.com", accessKey: "AKIDTEST", sessionToken: "TOKEN"}},
		{"the token only to a loopback agent", KindAPICallAttempt, signed("dynamodb.us-west-2.amazonaws.com", full), false,
			Metric{userAgent: "aws-sdk-go-v2/1.48.0", fqdn: "dynamodb.us-west-2.amazonaws.com", accessKey: "AKIDTEST"}},
		{"a call reads only the User-Agent", KindAPICall, signed("dynamodb.us-west-2.amazonaws.com", full), true,
			Metric{userAgent: "aws-sdk-go-v2/1.48.0"}},
		{"host without its port", KindAPICallAttempt, signed("127.0.0.1:8443", nil), false, Metric{fqdn: "127.0.0.1"}},
		{"IPv6 host without brackets", KindAPICallAttempt, signed("[::1]:8443", nil), false, Metric{fqdn: "::1"}},
		{"IPv6 host without a port", KindAPICallAttempt, signed("[::1]", nil), false, Metric{fqdn: "::1"}},
		{"unsigned request", KindAPICallAttempt, signed("s3.amazonaws.com", http.Header{"User-Agent": {"ua"}}), true,
			Metric{userAgent: "ua", fqdn: "s3.amazonaws.com"}},
		{"S3 Signature Version 2", KindAPICallAttempt, signed("s3.amazonaws.com", http.Header{"Authorization": {"AWS AKIDV2:c2lnbmF0dXJl"}}), false,
			Metric{fqdn: "s3.amazonaws.com", accessKey: "AKIDV2"}},
		// net/http and both SDKs store canonical names; http.Header.Get,
		// which aws-sdk-go v1 uses, finds no other either.
		{"a header stored under a non-canonical name", KindAPICallAttempt, signed("h", http.Header{"user-agent": {"ua"}}), false,
			Metric{fqdn: "h"}},
		{"no URL", KindAPICallAttempt, &http.Request{Header: http.Header{"User-Agent": {"ua"}}}, false, Metric{userAgent: "ua"}},
		{"no request", KindAPICallAttempt, nil, true, Metric{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Metric{Kind: tc.kind}
			m.readRequest(tc.req, tc.sendToken)
			tc.want.Kind = tc.kind
			assert.Equal(t, tc.want, m)
		})
	}
}

func TestReadResponse(t *testing.T) {
	ids := http.Header{
		"X-Amz-Request-Id": {"REQ", "second"},
		"X-Amzn-Requestid": {"REQN"},
		"X-Amz-Id-2":       {"ID2"},
	}
	cases := []struct {
		name string
		kind Kind
		resp *http.Response
		want Metric
	}{
		{"attempt, the three request IDs", KindAPICallAttempt, &http.Response{StatusCode: 200, Header: ids},
			Metric{HTTPStatusCode: 200, xAmzRequestID: "REQ", xAmznRequestID: "REQN", xAmzID2: "ID2"}},
		{"an error response", KindAPICallAttempt, &http.Response{StatusCode: 503, Header: http.Header{"X-Amzn-Requestid": {"REQN"}}},
			Metric{HTTPStatusCode: 503, xAmznRequestID: "REQN"}},
		{"a call reads only the status", KindAPICall, &http.Response{StatusCode: 200, Header: ids}, Metric{HTTPStatusCode: 200}},
		// The stand-in for a request that got no response: csmv2 read its
		// headers, csm did not.
		{"status 0 is no response", KindAPICallAttempt, &http.Response{Header: ids}, Metric{}},
		{"no headers", KindAPICallAttempt, &http.Response{StatusCode: 301}, Metric{HTTPStatusCode: 301}},
		{"no response", KindAPICallAttempt, nil, Metric{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Metric{Kind: tc.kind}
			m.ReadResponse(tc.resp)
			tc.want.Kind = tc.kind
			assert.Equal(t, tc.want, m)
		})
	}
}

func TestHostnameIsURLHostname(t *testing.T) {
	for _, host := range []string{"", "example.com", "example.com:443", "127.0.0.1:1", "[::1]", "[::1]:443", "[fe80::1%25eth0]:80", "h:"} {
		assert.Equal(t, (&url.URL{Host: host}).Hostname(), hostname(host), host)
	}
}

func TestReadDoesNotAllocate(t *testing.T) {
	req := &http.Request{URL: &url.URL{Host: "[::1]:8443"}, Header: http.Header{
		"User-Agent": {"ua"}, "Authorization": {testAuthorization}, "X-Amz-Security-Token": {"TOKEN"},
	}}
	resp := &http.Response{StatusCode: 200, Header: http.Header{"X-Amz-Request-Id": {"REQ"}, "X-Amzn-Requestid": {"REQN"}, "X-Amz-Id-2": {"ID2"}}}
	var m Metric
	allocs := testing.AllocsPerRun(100, func() {
		m = Metric{Kind: KindAPICallAttempt}
		m.readRequest(req, true)
		m.ReadResponse(resp)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, "::1", m.fqdn)
}

func TestTick(t *testing.T) {
	before := time.Now()
	tick := Now()
	after := time.Now()
	assert.GreaterOrEqual(t, tick.UnixMilli(), before.UnixMilli()-1, "the base's wall clock plus the monotonic offset")
	assert.LessOrEqual(t, tick.UnixMilli(), after.UnixMilli()+1)

	later := tick + Tick(1500*time.Millisecond)
	assert.Equal(t, int64(1500), later.MillisSince(tick))
	assert.Equal(t, int64(0), Tick(999_999).MillisSince(0), "latencies are truncated to milliseconds, as time.Duration.Milliseconds does")
	require.GreaterOrEqual(t, Now(), tick, "monotonic")
}

// TestReadRequestTokenOnlyToLoopback: a reporter whose agent is on a
// loopback address reads the session token into attempts, and one whose
// agent is elsewhere does not. (Tests send to loopback only: the second
// reporter is told its agent is elsewhere.)
func TestReadRequestTokenOnlyToLoopback(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	defer rep.close()
	req := &http.Request{URL: &url.URL{Host: "h"}, Header: http.Header{"X-Amz-Security-Token": {"TOKEN"}}}

	for _, tc := range []struct {
		loopback bool
		kind     Kind
		want     string
	}{
		{true, KindAPICallAttempt, "TOKEN"},
		{true, KindAPICall, ""},
		{false, KindAPICallAttempt, ""},
		{false, KindAPICall, ""},
	} {
		rep.sendToken.Store(tc.loopback)
		m := Metric{Kind: tc.kind}
		rep.ReadRequest(&m, req)
		assert.Equal(t, tc.want, m.sessionToken, "loopback %v, %v", tc.loopback, tc.kind)
	}
}
