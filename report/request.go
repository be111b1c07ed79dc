package report

import (
	"net/http"
	"strings"
	"time"
)

// Header returns the first value of the header whose canonical name is key.
// It is http.Header.Get without the canonicalization of key, which costs
// more than the lookup: net/http and the AWS SDKs store canonical names.
func Header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// AccessKeyID returns the access key ID from a Signature Version 4 (or 4a)
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/date/...". The
// integrations read it from the signed request rather than from the
// credentials provider, which could start a fetch.
func AccessKeyID(authorization string) string {
	const prefix = "Credential="
	// The credential comes right after the algorithm's name; look there
	// before searching the whole header.
	var cred string
	if sp := strings.IndexByte(authorization, ' '); sp >= 0 && strings.HasPrefix(authorization[sp+1:], prefix) {
		cred = authorization[sp+1+len(prefix):]
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
		m.AWSException, m.AWSExceptionMessage = e.Code, e.Message
	} else {
		m.SDKException, m.SDKExceptionMessage = e.Code, e.Message
	}
}
