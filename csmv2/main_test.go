package csmv2_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report/conformance"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

func TestMain(m *testing.M) {
	conformance.RunChild(runConformanceCase)
	os.Exit(m.Run())
}

const (
	testRegion    = "us-west-2"
	testAccessKey = "AKIDTESTACCESSKEY"
	testSecretKey = "test-secret-key-never-sent"
)

// startReporter starts the process's reporter towards a new agent, and
// stops it when the test ends.
func startReporter(t *testing.T, clientID string) (*csmv2.Reporter, *reporttest.Agent) {
	t.Helper()
	reporttest.IsolateEnv(t)
	agent := reporttest.NewAgent(t)
	rep, err := csmv2.Start(clientID, agent.Addr())
	require.NoError(t, err)
	t.Cleanup(csmv2.ResetForTest)
	return rep, agent
}

// testConfig is an aws.Config with static credentials and rep's middleware.
func testConfig(rep *csmv2.Reporter, sessionToken string) aws.Config {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: staticCredentials(testAccessKey, sessionToken),
	}
	if rep != nil {
		cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	}
	return cfg
}

// flushAndEvents flushes the reporter and returns what the agent received.
func flushAndEvents(t *testing.T, agent *reporttest.Agent) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, csmv2.Get().Flush(ctx))
	agent.Sync(t)
	return agent.Events(t)
}

// runConformanceCase runs the API calls of one case in this process, a
// child of TestConformance: the hand-made "CSM Test" client on a config that
// csmv2.Enable set up from the case's environment and shared config file.
func runConformanceCase(cfg conformance.CaseConfig, c conformance.Case) error {
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: staticCredentials(cfg.AccessKey, cfg.SessionToken),
	}
	if _, err := csmv2.Enable(&awsCfg); err != nil {
		return err
	}
	maxAttempts := 0
	if cfg.MaxRetries != nil {
		maxAttempts = *cfg.MaxRetries + 1
	}
	for _, call := range c.APICalls {
		stub := &stubHTTP{}
		for _, r := range call.AttemptResponses {
			stub.responses = append(stub.responses, stubFor(r))
		}
		client := newTestClient(awsCfg, call.ServiceID, maxAttempts, stub)
		err := client.call(context.Background(), call.OperationName)
		if got, want := stub.Attempts(), len(call.AttemptResponses); got != want {
			return fmt.Errorf("the call made %d attempts, the case scripts %d (error: %v)", got, want, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return csmv2.Get().Flush(ctx)
}

// stubFor turns a case's response into the stub's.
func stubFor(r conformance.AttemptResponse) stubResponse {
	if r.SDKException != nil {
		return stubResponse{sendErr: &sendError{msg: r.SDKException.Message, retryable: r.SDKException.IsRetryable}}
	}
	return stubResponse{status: r.HTTPStatus, headers: r.ResponseHeaders, errorCode: r.ErrorCode, errorMessage: r.ErrorMessage}
}

// staticCredentials returns a provider of the access key, testSecretKey
// and the session token. (The credentials module would raise this module's
// minimum aws-sdk-go-v2 version.)
func staticCredentials(accessKey, sessionToken string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: testSecretKey, SessionToken: sessionToken, Source: "test"}, nil
	})
}
