package csmv2

import (
	"context"
	"errors"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opencsm/csm-go/internal/report"
)

// The SdkException codes, those aws-sdk-go v1 gives the same failures.
const (
	codeRequestError     = "RequestError"
	codeCanceled         = "RequestCanceled"
	codeSerialization    = "SerializationError"
	codeInvalidParameter = "InvalidParameter"
	codeOther            = "Error"
)

// codeUnknown is the code aws-sdk-go-v2's deserializers give an error
// response that names no error code.
const codeUnknown = "UnknownError"

// responseStatus returns the HTTP status of the response this operation's
// error came with, or 0.
func responseStatus(err error) int {
	// awshttp.ResponseError unwraps past the smithyhttp.ResponseError it
	// embeds, so both are looked for.
	if e, ok := ownAs[*awshttp.ResponseError](err); ok && e.ResponseError != nil && e.Response != nil && e.Response.Response != nil {
		return e.Response.StatusCode
	}
	if e, ok := ownAs[*smithyhttp.ResponseError](err); ok && e.Response != nil && e.Response.Response != nil {
		return e.Response.StatusCode
	}
	return 0
}

// classify turns an operation's or attempt's error into a CSM exception.
//
// An AwsException is an error the service returned in its response
// (smithy.APIError): its code and its own message. Everything else is an
// SdkException, with the code aws-sdk-go v1 gives the same failure
// (RequestError for a request that could not be sent, RequestCanceled,
// SerializationError, InvalidParameter, else Error) and the message of the
// underlying cause, without the SDK's wrappers such as "operation error
// S3: GetObject, https response error".
//
// An HTTP error response from which the SDK could read no error code (an
// empty or malformed body, which aws-sdk-go-v2 reports as an APIError
// coded "UnknownError" or a DeserializationError) is an AwsException whose
// code is the HTTP status ("503") and message the status text ("Service
// Unavailable"), as botocore reports it and as package csm reports the same
// response.
func classify(err error) report.Exception {
	status := responseStatus(err)
	if apiErr, ok := ownAs[smithy.APIError](err); ok {
		if status >= 300 && apiErr.ErrorCode() == codeUnknown {
			return report.UnreadableErrorResponse(status)
		}
		return report.Exception{Code: apiErr.ErrorCode(), Message: apiErr.ErrorMessage(), AWS: true}
	}
	if status >= 300 && ownHas[*smithy.DeserializationError](err) {
		return report.UnreadableErrorResponse(status)
	}
	if invalid, ok := ownAs[smithy.InvalidParamsError](err); ok {
		return report.Exception{Code: codeInvalidParameter, Message: invalid.Error()}
	}
	code := codeOther
	switch {
	case ownIs(err, context.Canceled) || ownIs(err, context.DeadlineExceeded) || ownHas[*aws.RequestCanceledError](err):
		code = codeCanceled
	case ownHas[*smithyhttp.RequestSendError](err):
		code = codeRequestError
	case ownHas[*smithy.SerializationError](err) || ownHas[*smithy.DeserializationError](err):
		code = codeSerialization
	}
	return report.Exception{Code: code, Message: causeMessage(err)}
}

// retriesExhausted reports whether the retryer gave up on the call because
// it had made as many attempts as it may.
func retriesExhausted(err error) bool {
	return ownHas[*retry.MaxAttemptsError](err)
}

// maxUnwrap bounds the walks down error chains: a chain that loops back on
// itself must not hang the API call.
const maxUnwrap = 16

// ownAs returns the first error of type T in err's chain of this
// operation's errors: the chain up to the first *smithy.OperationError. The
// middleware see errors before the client wraps them in their operation's
// OperationError, so one found in the chain is another operation's, one
// the SDK ran inside this one (a credentials provider's STS call, say), and
// what it wraps (the STS response's error, its exhausted retries) does not
// describe this call.
func ownAs[T any](err error) (T, bool) {
	for depth := 0; err != nil && depth < maxUnwrap; depth++ {
		if _, nested := err.(*smithy.OperationError); nested {
			break
		}
		if t, ok := err.(T); ok {
			return t, true
		}
		err = errors.Unwrap(err)
	}
	var zero T
	return zero, false
}

// ownHas reports whether this operation's errors include one of type T
// (see ownAs).
func ownHas[T any](err error) bool {
	_, ok := ownAs[T](err)
	return ok
}

// ownIs is errors.Is for the errors of this operation (see ownAs).
func ownIs(err, target error) bool {
	for depth := 0; err != nil && depth < maxUnwrap; depth++ {
		if _, nested := err.(*smithy.OperationError); nested {
			return false
		}
		if err == target {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// causeMessage returns the message of the error that err wraps, skipping
// the SDK's own wrappers and net/http's *url.Error (whose text repeats the
// method and URL).
func causeMessage(err error) string {
	for depth := 0; depth < maxUnwrap; depth++ {
		var next error
		switch e := err.(type) {
		case *smithy.OperationError:
			next = e.Err
		case *retry.MaxAttemptsError:
			next = e.Err
		case *smithyhttp.RequestSendError:
			next = e.Err
		case *smithyhttp.ResponseError:
			next = e.Err
		case *awshttp.ResponseError:
			if e.ResponseError != nil {
				next = e.ResponseError.Err
			}
		case *aws.RequestCanceledError:
			next = e.Err
		case *smithy.SerializationError:
			next = e.Err
		case *smithy.DeserializationError:
			next = e.Err
		case *smithy.CanceledError:
			next = e.Err
		case *url.Error:
			next = e.Err
		}
		if next == nil {
			return err.Error()
		}
		err = next
	}
	return err.Error()
}
