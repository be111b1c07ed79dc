package csm

import (
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"

	"github.com/opencsm/csm-go/internal/report"
)

// classify turns a request error into a CSM exception; status is the HTTP
// status of the response the request got, or 0.
//
// As in the original package, an awserr.Error on a request that got an HTTP
// error response (status 300 or more) is an AwsException, unless its code
// is one of the SDK's own client-side codes; its message is the error's
// own, without the "Code: " prefix the original sent. So errors that a
// program's or a mock's handlers set on such a request are reported as the
// original reported them.
//
// An error response the SDK could not read (an empty body, which
// aws-sdk-go reports with an empty code, or a malformed one, which it
// reports as a SerializationError) is an AwsException too,
// as botocore reports it: its code is the HTTP status ("503") and its
// message the status text ("Service Unavailable"). csmv2 reports the same
// response the same way.
//
// Everything else (a failed connection, a canceled context, a response that
// could not be read, a parameter that failed validation, any error on a
// request without an error response) is an SdkException: the SDK's error
// code and the message of the underlying cause, not the SDK's wrapper text
// such as "send request failed".
func classify(err error, status int) report.Exception {
	aerr, ok := err.(awserr.Error)
	if !ok {
		return report.Exception{Code: "Error", Message: err.Error()}
	}
	code := aerr.Code()
	if invalid, ok := err.(request.ErrInvalidParams); ok {
		// Every field that failed, not only the first.
		return report.Exception{Code: code, Message: strings.TrimPrefix(invalid.Error(), code+": ")}
	}
	errorResponse := status >= 300
	if errorResponse && code == "" {
		// The response named no error code (an empty body).
		return report.UnreadableErrorResponse(status)
	}
	switch code {
	case request.ErrCodeSerialization:
		if errorResponse {
			return report.UnreadableErrorResponse(status)
		}
		return report.Exception{Code: code, Message: causeMessage(aerr)}
	case request.ErrCodeRequestError, request.CanceledErrorCode,
		request.ErrCodeResponseTimeout, request.ErrCodeRead, request.ErrCodeInvalidPresignExpire:
		return report.Exception{Code: code, Message: causeMessage(aerr)}
	}
	if errorResponse {
		return report.Exception{Code: code, Message: aerr.Message(), AWS: true}
	}
	return report.Exception{Code: code, Message: causeMessage(aerr)}
}

// causeMessage returns the message of the error an SDK error wraps, skipping
// the SDK's own wrappers and net/http's *url.Error (whose text repeats the
// method and URL). An error with no cause gives its own message.
func causeMessage(aerr awserr.Error) string {
	var cause error = aerr
	// A chain that loops back on itself must not hang the API call.
	for depth := 0; depth < 16; depth++ {
		switch e := cause.(type) {
		case awserr.Error:
			if e.OrigErr() == nil {
				return e.Message()
			}
			cause = e.OrigErr()
		case *url.Error:
			if e.Err == nil {
				return e.Error()
			}
			cause = e.Err
		default:
			return cause.Error()
		}
	}
	return cause.Error()
}
