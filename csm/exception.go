package csm

import (
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"

	"github.com/opencsm/csm-go/report"
)

// classify turns a request error into a CSM exception.
//
// An AwsException is an error the service returned in its response: its code
// and its own message. Everything else (a failed connection, a canceled
// context, a response that could not be decoded, a parameter that failed
// validation) is an SdkException: the SDK's error code and the message of
// the underlying cause, not the SDK's wrapper text such as "send request
// failed".
func classify(err error) report.Exception {
	aerr, ok := err.(awserr.Error)
	if !ok {
		return report.Exception{Code: "Error", Message: err.Error()}
	}
	code := aerr.Code()
	if invalid, ok := err.(request.ErrInvalidParams); ok {
		// Every field that failed, not only the first.
		return report.Exception{Code: code, Message: strings.TrimPrefix(invalid.Error(), code+": ")}
	}
	switch code {
	case request.ErrCodeRequestError, request.ErrCodeSerialization, request.CanceledErrorCode,
		request.ErrCodeResponseTimeout, request.ErrCodeRead, request.ErrCodeInvalidPresignExpire:
		return report.Exception{Code: code, Message: causeMessage(aerr)}
	}
	if failure, ok := err.(awserr.RequestFailure); ok && failure.StatusCode() != 0 {
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
