package report

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonMetric is the metric as encoding/json would write it: the reference
// the hand-written encoder must equal byte for byte.
type jsonMetric struct {
	ClientID                 *string `json:"ClientId,omitempty"`
	API                      *string `json:"Api,omitempty"`
	Service                  *string `json:"Service,omitempty"`
	Timestamp                *int64  `json:"Timestamp,omitempty"`
	Type                     *string `json:"Type,omitempty"`
	Version                  *int    `json:"Version,omitempty"`
	AttemptCount             *int    `json:"AttemptCount,omitempty"`
	Latency                  *int64  `json:"Latency,omitempty"`
	Fqdn                     *string `json:"Fqdn,omitempty"`
	UserAgent                *string `json:"UserAgent,omitempty"`
	AttemptLatency           *int64  `json:"AttemptLatency,omitempty"`
	SessionToken             *string `json:"SessionToken,omitempty"`
	Region                   *string `json:"Region,omitempty"`
	AccessKey                *string `json:"AccessKey,omitempty"`
	HTTPStatusCode           *int    `json:"HttpStatusCode,omitempty"`
	XAmzID2                  *string `json:"XAmzId2,omitempty"`
	XAmznRequestID           *string `json:"XAmznRequestId,omitempty"`
	XAmzRequestID            *string `json:"XAmzRequestId,omitempty"`
	AWSException             *string `json:"AwsException,omitempty"`
	AWSExceptionMessage      *string `json:"AwsExceptionMessage,omitempty"`
	SDKException             *string `json:"SdkException,omitempty"`
	SDKExceptionMessage      *string `json:"SdkExceptionMessage,omitempty"`
	FinalHTTPStatusCode      *int    `json:"FinalHttpStatusCode,omitempty"`
	FinalAWSException        *string `json:"FinalAwsException,omitempty"`
	FinalAWSExceptionMessage *string `json:"FinalAwsExceptionMessage,omitempty"`
	FinalSDKException        *string `json:"FinalSdkException,omitempty"`
	FinalSDKExceptionMessage *string `json:"FinalSdkExceptionMessage,omitempty"`
	DestinationIP            *string `json:"DestinationIp,omitempty"`
	ConnectionReused         *int    `json:"ConnectionReused,omitempty"`
	AcquireConnectionLatency *int64  `json:"AcquireConnectionLatency,omitempty"`
	ConnectLatency           *int64  `json:"ConnectLatency,omitempty"`
	RequestLatency           *int64  `json:"RequestLatency,omitempty"`
	DNSLatency               *int64  `json:"DnsLatency,omitempty"`
	TCPLatency               *int64  `json:"TcpLatency,omitempty"`
	SSLLatency               *int64  `json:"SslLatency,omitempty"`
	MaxRetriesExceeded       *int    `json:"MaxRetriesExceeded,omitempty"`
}

func reference(m *Metric) jsonMetric {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	optInt := func(v int) *int {
		if v == 0 {
			return nil
		}
		return &v
	}
	kind, version, clientID, api, service, ts := m.Kind.String(), 1, m.ClientID, m.API, m.Service, m.Timestamp
	j := jsonMetric{
		ClientID: &clientID, API: &api, Service: &service, Timestamp: &ts, Type: &kind, Version: &version,
		Fqdn: opt(m.fqdn), UserAgent: opt(m.userAgent), SessionToken: opt(m.sessionToken),
		Region: opt(m.Region), AccessKey: opt(m.accessKey),
	}
	if m.Kind == KindAPICall {
		count, latency, exceeded := m.AttemptCount, m.Latency, 0
		if m.MaxRetriesExceeded {
			exceeded = 1
		}
		j.AttemptCount, j.Latency, j.MaxRetriesExceeded = &count, &latency, &exceeded
		j.FinalHTTPStatusCode = optInt(m.HTTPStatusCode)
		j.FinalAWSException, j.FinalAWSExceptionMessage = opt(m.awsException), opt(m.awsExceptionMessage)
		j.FinalSDKException, j.FinalSDKExceptionMessage = opt(m.sdkException), opt(m.sdkExceptionMessage)
		return j
	}
	latency := m.AttemptLatency
	j.AttemptLatency = &latency
	j.HTTPStatusCode = optInt(m.HTTPStatusCode)
	j.XAmzID2, j.XAmznRequestID, j.XAmzRequestID = opt(m.xAmzID2), opt(m.xAmznRequestID), opt(m.xAmzRequestID)
	j.AWSException, j.AWSExceptionMessage = opt(m.awsException), opt(m.awsExceptionMessage)
	j.SDKException, j.SDKExceptionMessage = opt(m.sdkException), opt(m.sdkExceptionMessage)
	if m.destinationIP.IsValid() {
		ip := m.destinationIP.String()
		j.DestinationIP = &ip
	}
	if m.timed&hasConnectionReused != 0 {
		reused := 0
		if m.connectionReused {
			reused = 1
		}
		j.ConnectionReused = &reused
	}
	timed := func(f timingField, v int64) *int64 {
		if m.timed&f == 0 {
			return nil
		}
		return &v
	}
	j.AcquireConnectionLatency = timed(hasAcquireConnectionLatency, m.acquireConnectionLatency)
	j.ConnectLatency = timed(hasConnectLatency, m.connectLatency)
	j.RequestLatency = timed(hasRequestLatency, m.requestLatency)
	j.DNSLatency = timed(hasDNSLatency, m.dnsLatency)
	j.TCPLatency = timed(hasTCPLatency, m.tcpLatency)
	j.SSLLatency = timed(hasSSLLatency, m.sslLatency)
	return j
}

// nasty holds characters that encoding/json escapes, and invalid UTF-8.
const nasty = "q\"b\\s/<a>&\x00\x01\x1f\b\f\n\r\t\u2028\u2029\x7f é 日本 🙂 \xff\xfe\xc3"

func testMetrics() map[string]Metric {
	return map[string]Metric{
		"attempt": {
			Kind: KindAPICallAttempt, ClientID: "client", API: "GetObject", Service: "S3",
			Timestamp: 1764121200123, AttemptLatency: 42, fqdn: "bucket.s3.us-west-2.amazonaws.com",
			userAgent: "aws-sdk-go/1.55.8 (go1.26; linux; amd64)", sessionToken: "token", Region: "us-west-2",
			accessKey: "AKID", HTTPStatusCode: 200, xAmzID2: "id2", xAmzRequestID: "rid",
		},
		"timed attempt": {
			Kind: KindAPICallAttempt, API: "GetItem", Service: "DynamoDB", Timestamp: 2, HTTPStatusCode: 200,
			timed: hasConnectionReused | hasAcquireConnectionLatency | hasConnectLatency | hasRequestLatency |
				hasDNSLatency | hasTCPLatency | hasSSLLatency,
			acquireConnectionLatency: 12, connectLatency: 0, requestLatency: 30, dnsLatency: 1, tcpLatency: 2, sslLatency: 9,
			destinationIP: netip.MustParseAddr("127.0.0.1"),
		},
		"reused attempt": {
			Kind: KindAPICallAttempt, API: "GetItem", Service: "DynamoDB", timed: hasConnectionReused | hasRequestLatency,
			connectionReused: true, destinationIP: netip.MustParseAddr("2001:db8::1"),
		},
		"failed attempt": {
			Kind: KindAPICallAttempt, API: "PutItem", Service: "DynamoDB", Timestamp: 1,
			HTTPStatusCode: 400, awsException: "ValidationException", awsExceptionMessage: "bad <input> & \"quotes\"",
			xAmznRequestID: "amzn",
		},
		"sdk error attempt": {
			Kind: KindAPICallAttempt, API: "Op", Service: "Svc", sdkException: "RequestError",
			sdkExceptionMessage: "dial tcp 127.0.0.1:1: connect: connection refused",
		},
		"call": {
			Kind: KindAPICall, ClientID: "", API: "GetObject", Service: "S3", Timestamp: 1764121200000,
			AttemptCount: 3, Latency: 1200, userAgent: "ua", Region: "eu-west-1", HTTPStatusCode: 503,
			awsException: "SlowDown", awsExceptionMessage: "Please reduce your request rate.", MaxRetriesExceeded: true,
		},
		"call without attempt": {Kind: KindAPICall, API: "Op", Service: "Svc", sdkException: "InvalidParameter"},
		"nasty strings": {
			Kind: KindAPICallAttempt, ClientID: nasty, API: nasty, Service: nasty, fqdn: nasty,
			userAgent: nasty, sessionToken: nasty, Region: nasty, accessKey: nasty, xAmzID2: nasty,
			awsException: nasty, awsExceptionMessage: nasty, sdkException: nasty, sdkExceptionMessage: nasty,
		},
	}
}

// modernJSON is whether this Go's encoding/json escapes backspace and form
// feed as \b and \f, as the encoder does; before Go 1.22 it wrote \u0008 and
// \u000c.
var modernJSON = func() bool {
	b, _ := json.Marshal("\b\f")
	return string(b) == `"\b\f"`
}()

// sameJSON reports whether got is what encoding/json wrote: byte for byte
// with a Go that escapes as the encoder does, else the same JSON value.
func sameJSON(want, got []byte) bool {
	if modernJSON {
		return string(want) == string(got)
	}
	var w, g any
	return json.Unmarshal(want, &w) == nil && json.Unmarshal(got, &g) == nil && assert.ObjectsAreEqual(w, g)
}

func assertSameJSON(t *testing.T, want, got []byte, msgAndArgs ...any) {
	t.Helper()
	if modernJSON {
		assert.Equal(t, string(want), string(got), msgAndArgs...)
		return
	}
	assert.JSONEq(t, string(want), string(got), msgAndArgs...)
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	for name, m := range testMetrics() {
		m := m
		t.Run(name, func(t *testing.T) {
			got := throughRecord(&m)
			want, err := json.Marshal(reference(&m))
			require.NoError(t, err)
			assertSameJSON(t, want, got)
			assert.True(t, json.Valid(got))
			assert.True(t, utf8.Valid(got))
		})
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", nasty, strings.Repeat("\x00", 10), "\xed\xa0\x80 surrogate", "\U0010FFFF", "\xf4\x90\x80\x80"}
	for r := rune(0); r < 0x300; r++ {
		inputs = append(inputs, string(r))
	}
	for _, s := range inputs {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assertSameJSON(t, want, appendString(nil, s), "%q", s)
		for i := 0; i < len(s); {
			w, size := escapedLen(s, i)
			assert.Equal(t, w, len(appendString(nil, s[i:i+size]))-2, "escaped length of %q", s[i:i+size])
			i += size
		}
	}
}

func TestTruncateString(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"aé", 2, "a"}, // é is 2 bytes: not cut in half
		{"aé", 3, "aé"},
		{"a🙂", 4, "a"}, // 🙂 is 4 bytes
		{"a🙂b", 5, "a🙂"},
		{"日本", 4, "日"},
		{"\xff\xff\xff", 2, "\xff\xff"}, // invalid UTF-8 is cut where asked
		{"a\x80\x80\x80\x80\x80", 3, "a\x80\x80"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, truncateString(tc.in, tc.n), "truncateString(%q, %d)", tc.in, tc.n)
	}
}

func TestTruncateLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes each
	m := Metric{
		Kind: KindAPICallAttempt, ClientID: long(300), userAgent: long(300),
		awsException: long(300), awsExceptionMessage: long(600),
		sdkException: long(300), sdkExceptionMessage: long(600),
	}
	m.truncate()
	assert.Equal(t, long(127), m.ClientID, "255 bytes hold 127 é")
	assert.Equal(t, long(128), m.userAgent)
	assert.Equal(t, long(64), m.awsException)
	assert.Equal(t, long(256), m.awsExceptionMessage)
	assert.Equal(t, long(64), m.sdkException)
	assert.Equal(t, long(256), m.sdkExceptionMessage)
}

func TestEncodeSizeBound(t *testing.T) {
	worst := strings.Repeat("\x00", 20000) // every byte escapes to six
	fill := func(token string) Metric {
		return Metric{
			Kind: KindAPICallAttempt, ClientID: worst, API: worst, Service: worst, fqdn: worst,
			userAgent: worst, sessionToken: token, Region: worst, accessKey: worst,
			xAmzID2: worst, xAmzRequestID: worst, xAmznRequestID: worst,
			awsException: worst, awsExceptionMessage: worst, sdkException: worst, sdkExceptionMessage: worst,
			Timestamp: 1 << 62, AttemptLatency: 1 << 62, HTTPStatusCode: 599,
		}
	}

	token := strings.Repeat("T", 2000)
	m := fill(token)
	b := throughRecord(&m)
	assert.LessOrEqual(t, len(b), maxDatagramSize)
	assert.True(t, json.Valid(b))
	assert.Contains(t, string(b), token, "a token that fits is kept whole")

	m = fill(strings.Repeat("T", 20000))
	b = throughRecord(&m)
	assert.LessOrEqual(t, len(b), maxDatagramSize)
	assert.True(t, json.Valid(b))
	assert.NotContains(t, string(b), "SessionToken", "a token that does not fit is left out, not cut")

	call := Metric{Kind: KindAPICall, ClientID: worst, API: worst, Service: worst, userAgent: worst, Region: worst,
		awsException: worst, awsExceptionMessage: worst, sdkException: worst, sdkExceptionMessage: worst}
	b = throughRecord(&call)
	assert.LessOrEqual(t, len(b), maxDatagramSize)
	assert.True(t, json.Valid(b))
}

func FuzzEncodeMetric(f *testing.F) {
	f.Add("client", "ua", "message", "token", int64(1), true)
	f.Add(nasty, nasty, nasty, nasty, int64(-1), false)
	f.Add(strings.Repeat("\x00", 3000), strings.Repeat("\u2028", 3000), strings.Repeat("<", 3000), strings.Repeat("x", 9000), int64(1<<62), true)
	f.Fuzz(func(t *testing.T, clientID, userAgent, message, token string, n int64, call bool) {
		m := Metric{
			Kind: KindAPICallAttempt, ClientID: clientID, API: message, Service: userAgent, Timestamp: n,
			AttemptLatency: n, fqdn: message, userAgent: userAgent, sessionToken: token, Region: clientID,
			accessKey: clientID, xAmzID2: message, xAmzRequestID: token, xAmznRequestID: userAgent,
			awsException: clientID, awsExceptionMessage: message, sdkException: userAgent, sdkExceptionMessage: message,
			HTTPStatusCode: int(n % 1000),
		}
		if call {
			m.Kind, m.Latency, m.AttemptCount, m.MaxRetriesExceeded = KindAPICall, n, int(n%10), n%2 == 0
		} else {
			m.timed, m.connectionReused = timingField(n), n%3 == 0
			m.acquireConnectionLatency, m.connectLatency, m.requestLatency = n, -n, n/2
			m.dnsLatency, m.tcpLatency, m.sslLatency = n%7, n%11, n%13
			var ip [16]byte
			for i := range ip {
				ip[i] = byte(n >> (i % 8 * 8))
			}
			m.destinationIP = netip.AddrFrom16(ip).Unmap()
		}
		// Whether the strings cut to their limits fit: then nothing else
		// may be cut.
		first := m
		first.truncate()
		fits := len(appendMetric(nil, &first)) <= maxDatagramSize
		b := throughRecord(&m)
		if len(b) > maxDatagramSize {
			t.Fatalf("datagram of %d bytes", len(b))
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("invalid JSON or UTF-8: %q", b)
		}
		// Whatever the truncation did, the bytes are those encoding/json
		// writes for the truncated metric.
		want, err := json.Marshal(reference(&m))
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(want, b) {
			t.Fatalf("differs from encoding/json:\n got %s\nwant %s", b, want)
		}
		// A string within its limit is cut only by the fallback for
		// datagrams that escaping made too large.
		if fits && len(clientID) <= maxClientIDLen && m.ClientID != clientID {
			t.Fatalf("client ID %q cut to %q", clientID, m.ClientID)
		}
		// Only an attempt carries the session token; the record of a call
		// keeps the fields of a call alone.
		if fits && !call && m.sessionToken != token {
			t.Fatalf("session token left out of a datagram that fits")
		}
	})
}
