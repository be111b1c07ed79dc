package v2test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnreadableErrorResponse: an error response that names no error code
// (503 with an empty body, or a body that is not JSON) is an AwsException
// whose code is the status and whose message is the status text, as
// botocore reports it and as package csm reports the same response.
func TestUnreadableErrorResponse(t *testing.T) {
	for _, body := range []string{"", "<html>busy</html>"} {
		t.Run(body, func(t *testing.T) {
			rep, agent := startReporter(t)
			srv := newScript(t, reply{status: 503, body: body})
			cfg := loadConfig(t, newServer(t, srv))
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
			_, err := newDynamoDB(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1; o.DisableValidateResponseChecksum = true }).
				ListTables(context.Background(), &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
			require.Error(t, err)

			events := collect(t, rep, agent)
			require.Len(t, events, 2)
			attempt, call := events[0], events[1]
			assert.Equal(t, "503", attempt["AwsException"])
			assert.Equal(t, "Service Unavailable", attempt["AwsExceptionMessage"])
			assert.NotContains(t, attempt, "SdkException")
			assert.Equal(t, "503", call["FinalAwsException"])
			assert.Equal(t, "Service Unavailable", call["FinalAwsExceptionMessage"])
		})
	}
}
