package report

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The headers a metric reports, in the canonical form in which net/http and
// the AWS SDKs store them (see header).
const (
	headerUserAgent     = "User-Agent"
	headerAuthorization = "Authorization"
	headerSecurityToken = "X-Amz-Security-Token"
	headerAmzRequestID  = "X-Amz-Request-Id"
	headerAmznRequestID = "X-Amzn-Requestid"
	headerAmzID2        = "X-Amz-Id-2"
)

// ReadRequest sets what m reports from req, the signed HTTP request of an
// attempt: on both kinds of metric the User-Agent (an ApiCall's is its last
// attempt's), and on an ApiCallAttempt the host, the access key ID and,
// when the agent is on a loopback address, the session token, so that a
// token never crosses a network in clear text. A nil req sets nothing.
//
// Both SDK integrations call it, after the attempt, so that the request is
// read the same way for aws-sdk-go and aws-sdk-go-v2. It does not allocate.
func (rep *Reporter) ReadRequest(m *Metric, req *http.Request) {
	m.readRequest(req, rep.sendToken.Load())
}

// readRequest is ReadRequest, with the session token when sendToken is
// set.
func (m *Metric) readRequest(req *http.Request, sendToken bool) {
	if req == nil {
		return
	}
	m.userAgent = header(req.Header, headerUserAgent)
	if m.Kind != KindAPICallAttempt {
		return
	}
	if req.URL != nil {
		m.fqdn = hostname(req.URL.Host)
	}
	m.accessKey = accessKeyID(header(req.Header, headerAuthorization))
	if sendToken {
		m.sessionToken = header(req.Header, headerSecurityToken)
	}
}

// ReadResponse sets what m reports from resp, the HTTP response of an
// attempt: its status code and, on an ApiCallAttempt, the three request
// IDs. It sets nothing for a nil response or one of status 0, which is the
// stand-in both SDKs put in place of the response of a request that got
// none (aws-sdk-go's send handler, smithy-go's HTTP client handler): it
// carries no header from a server. It does not allocate.
func (m *Metric) ReadResponse(resp *http.Response) {
	if resp == nil || resp.StatusCode == 0 {
		return
	}
	m.HTTPStatusCode = resp.StatusCode
	if m.Kind != KindAPICallAttempt {
		return
	}
	m.xAmzRequestID = header(resp.Header, headerAmzRequestID)
	m.xAmznRequestID = header(resp.Header, headerAmznRequestID)
	m.xAmzID2 = header(resp.Header, headerAmzID2)
}

// header returns the first value of the header whose canonical name is key.
// It is http.Header.Get without the canonicalization of key, which costs
// more than the lookup: net/http and the AWS SDKs store canonical names.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// hostname returns host, the host of a request's URL, without its port
// and without the brackets of an IPv6 address, as url.URL.Hostname does.
func hostname(host string) string {
	if strings.IndexByte(host, ':') < 0 {
		return host // the common case: a name without a port
	}
	return (&url.URL{Host: host}).Hostname()
}

// accessKeyID returns the access key ID from a request's Authorization
// header: a Signature Version 4 (or 4a) one, "AWS4-HMAC-SHA256
// Credential=AKID/date/...", or an S3 Signature Version 2 one, "AWS
// AKID:signature", which botocore reads too. The integrations read it from
// the signed request rather than from the credentials provider, which could
// start a fetch. It returns "" for any other header.
func accessKeyID(authorization string) string {
	const (
		prefix   = "Credential="
		sigV2    = "AWS "
		sigV2End = ':'
	)
	// The credential comes right after the algorithm's name; look there
	// before searching the whole header.
	var cred string
	if sp := strings.IndexByte(authorization, ' '); sp >= 0 && strings.HasPrefix(authorization[sp+1:], prefix) {
		cred = authorization[sp+1+len(prefix):]
	} else if strings.HasPrefix(authorization, sigV2) {
		id := authorization[len(sigV2):]
		if j := strings.IndexByte(id, sigV2End); j > 0 {
			return id[:j]
		}
		return ""
	} else if i := strings.Index(authorization, prefix); i >= 0 {
		cred = authorization[i+len(prefix):]
	} else {
		return ""
	}
	j := strings.IndexByte(cred, '/')
	if j < 0 {
		return ""
	}
	return cred[:j]
}

// UnixMilli is t.UnixMilli, except that the zero time gives 0.
func UnixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Exception is what a metric reports about a failed attempt or call.
type Exception struct {
	Code    string
	Message string
	// AWS is whether the service returned the error in its response (an
	// AwsException), as opposed to a client-side error (an SdkException).
	AWS bool
}

// SetException puts e in the metric's AWS or SDK exception fields.
func (m *Metric) SetException(e Exception) {
	if e.AWS {
		m.awsException, m.awsExceptionMessage = e.Code, e.Message
	} else {
		m.sdkException, m.sdkExceptionMessage = e.Code, e.Message
	}
}
