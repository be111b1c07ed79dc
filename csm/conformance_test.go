package csm_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/conformance"
)

// TestConformance runs every case of the cross-SDK suite through real
// aws-sdk-go clients (see runConformanceCase): the copy of the suite in
// internal/report/conformance/testdata, or the file CSM_CONFORMANCE_CASES
// names.
func TestConformance(t *testing.T) {
	conformance.Test(t, testSecretKey)
}

// runConformanceCase runs the API calls of one case in this process, a
// child of TestConformance: a "CSM Test" JSON-RPC client on a session from
// csm.NewSession, with its HTTP layer stubbed by the case's responses.
func runConformanceCase(cfg conformance.CaseConfig, c conformance.Case) error {
	for _, call := range c.APICalls {
		transport := &stubTransport{}
		for _, r := range call.AttemptResponses {
			transport.responses = append(transport.responses, stub(r))
		}
		awsCfg := &aws.Config{
			Region:      aws.String(cfg.Region),
			Credentials: credentials.NewStaticCredentials(cfg.AccessKey, testSecretKey, cfg.SessionToken),
			HTTPClient:  &http.Client{Transport: transport},
			SleepDelay:  func(time.Duration) {},
		}
		if cfg.MaxRetries != nil {
			awsCfg.MaxRetries = cfg.MaxRetries
		}
		sess, err := csm.NewSession(awsCfg)
		if err != nil {
			return err
		}
		_ = callOperation(newTestClient(sess, call.ServiceID), call.OperationName)
		if got, want := transport.Attempts(), len(call.AttemptResponses); got != want {
			return fmt.Errorf("the call made %d attempts, the case scripts %d", got, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return csm.Get().Flush(ctx)
}

// stub turns a case's response into the stub transport's.
func stub(r conformance.AttemptResponse) stubResponse {
	if r.SDKException != nil {
		return stubResponse{SendErr: &sendError{msg: r.SDKException.Message, retryable: r.SDKException.IsRetryable}}
	}
	return stubResponse{Status: r.HTTPStatus, Headers: r.ResponseHeaders, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
}
