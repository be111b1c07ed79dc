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

// classify turns an operation's or attempt's error into a CSM exception.
//
// An AwsException is an error the service returned in its response
// (smithy.APIError): its code and its own message. Everything else is an
// SdkException, with the code aws-sdk-go v1 gives the same failure
// (RequestError for a request that could not be sent, RequestCanceled,
// SerializationError, InvalidParameter, else Error) and the message of the
// underlying cause, without the SDK's wrappers such as "operation error
// S3: GetObject, https response error".
func classify(err error) report.Exception {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return report.Exception{Code: apiErr.ErrorCode(), Message: apiErr.ErrorMessage(), AWS: true}
	}
	var (
		canceled *aws.RequestCanceledError
		sendErr  *smithyhttp.RequestSendError
		serErr   *smithy.SerializationError
		deserErr *smithy.DeserializationError
		invalid  smithy.InvalidParamsError
	)
	code := codeOther
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &canceled):
		code = codeCanceled
	case errors.As(err, &sendErr):
		code = codeRequestError
	case errors.As(err, &serErr) || errors.As(err, &deserErr):
		code = codeSerialization
	case errors.As(err, &invalid):
		return report.Exception{Code: codeInvalidParameter, Message: invalid.Error()}
	}
	return report.Exception{Code: code, Message: causeMessage(err)}
}

// causeMessage returns the message of the error that err wraps, skipping
// the SDK's own wrappers and net/http's *url.Error (whose text repeats the
// method and URL).
func causeMessage(err error) string {
	// A chain that loops back on itself must not hang the API call.
	for depth := 0; depth < 16; depth++ {
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
