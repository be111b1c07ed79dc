package report

import (
	"net/http"
	"strconv"
)

// UnreadableErrorResponse is the exception for an HTTP error response from
// which the SDK could read no error code (an empty or malformed body): an
// AwsException whose code is the HTTP status ("503") and whose message is
// the status text ("Service Unavailable"), as botocore reports it. Packages
// csm and csmv2 both use it, so one wire response gives one exception
// whichever SDK received it.
func UnreadableErrorResponse(status int) Exception {
	return Exception{Code: strconv.Itoa(status), Message: http.StatusText(status), AWS: true}
}
