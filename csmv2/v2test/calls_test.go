package v2test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
)

// TestCalls makes one call of a real S3 or DynamoDB client against a fake
// endpoint that scripts its responses, and checks every datagram: one
// ApiCallAttempt per HTTP response, then the ApiCall.
func TestCalls(t *testing.T) {
	s3Call := func(ctx context.Context, cfg aws.Config) error { return getObject(ctx, newS3(cfg)) }
	ddbListTables := func(ctx context.Context, cfg aws.Config) error {
		_, err := newDynamoDB(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	}
	ddbDescribeTable := func(ctx context.Context, cfg aws.Config) error {
		_, err := newDynamoDB(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
		return err
	}

	tests := []struct {
		name     string
		service  string
		api      string
		do       func(context.Context, aws.Config) error
		replies  []reply
		endpoint func(t *testing.T) string // instead of the script's server
		canceled bool                      // the call's context is canceled
		wantErr  bool
		attempts []map[string]string // fields of each attempt
		call     map[string]string   // fields of the call
	}{
		{
			name: "S3 retried until it succeeds", service: "S3", api: "GetObject", do: s3Call,
			replies: []reply{s3InternalError, s3InternalError, s3Object},
			attempts: []map[string]string{
				{"HttpStatusCode": "500", "AwsException": "InternalError", "AwsExceptionMessage": "We encountered an internal error. Please try again.", "XAmzRequestId": "S3REQInternalError", "XAmzId2": "S3HOSTInternalError"},
				{"HttpStatusCode": "500", "AwsException": "InternalError"},
				{"HttpStatusCode": "200", "AwsException": absent, "SdkException": absent, "XAmzRequestId": "S3REQOK", "XAmzId2": "S3HOSTOK"},
			},
			call: map[string]string{"AttemptCount": "3", "FinalHttpStatusCode": "200", "MaxRetriesExceeded": "0", "FinalAwsException": absent, "FinalSdkException": absent},
		},
		{
			name: "S3 failing every attempt", service: "S3", api: "GetObject", do: s3Call,
			replies: []reply{s3SlowDown, s3SlowDown, s3SlowDown}, wantErr: true,
			attempts: []map[string]string{
				{"HttpStatusCode": "503", "AwsException": "SlowDown", "AwsExceptionMessage": "Please reduce your request rate."},
				{"HttpStatusCode": "503", "AwsException": "SlowDown"},
				{"HttpStatusCode": "503", "AwsException": "SlowDown"},
			},
			call: map[string]string{"AttemptCount": "3", "FinalHttpStatusCode": "503", "MaxRetriesExceeded": "1", "FinalAwsException": "SlowDown", "FinalAwsExceptionMessage": "Please reduce your request rate.", "FinalSdkException": absent},
		},
		{
			name: "S3 NoSuchKey", service: "S3", api: "GetObject", do: s3Call,
			replies: []reply{s3NoSuchKey}, wantErr: true,
			attempts: []map[string]string{
				{"HttpStatusCode": "404", "AwsException": "NoSuchKey", "AwsExceptionMessage": "The specified key does not exist.", "XAmzRequestId": "S3REQNoSuchKey", "XAmzId2": "S3HOSTNoSuchKey", "XAmznRequestId": absent},
			},
			call: map[string]string{"AttemptCount": "1", "FinalHttpStatusCode": "404", "MaxRetriesExceeded": "0", "FinalAwsException": "NoSuchKey", "FinalAwsExceptionMessage": "The specified key does not exist."},
		},
		{
			name: "DynamoDB retried until it succeeds", service: "DynamoDB", api: "ListTables", do: ddbListTables,
			replies: []reply{ddbInternalError, ddbInternalError, ddbTables},
			attempts: []map[string]string{
				{"HttpStatusCode": "500", "AwsException": "InternalServerError", "AwsExceptionMessage": "Internal server error", "XAmznRequestId": "DDBREQ500"},
				{"HttpStatusCode": "500", "AwsException": "InternalServerError"},
				{"HttpStatusCode": "200", "AwsException": absent, "XAmznRequestId": "DDBREQ200"},
			},
			call: map[string]string{"AttemptCount": "3", "FinalHttpStatusCode": "200", "MaxRetriesExceeded": "0", "FinalAwsException": absent},
		},
		{
			name: "DynamoDB failing every attempt", service: "DynamoDB", api: "ListTables", do: ddbListTables,
			replies: []reply{ddbUnavailable, ddbUnavailable, ddbUnavailable}, wantErr: true,
			attempts: []map[string]string{
				{"HttpStatusCode": "503", "AwsException": "ServiceUnavailable", "AwsExceptionMessage": "Service unavailable"},
				{"HttpStatusCode": "503", "AwsException": "ServiceUnavailable"},
				{"HttpStatusCode": "503", "AwsException": "ServiceUnavailable"},
			},
			call: map[string]string{"AttemptCount": "3", "FinalHttpStatusCode": "503", "MaxRetriesExceeded": "1", "FinalAwsException": "ServiceUnavailable", "FinalAwsExceptionMessage": "Service unavailable"},
		},
		{
			name: "DynamoDB invalid parameter", service: "DynamoDB", api: "DescribeTable",
			do: func(ctx context.Context, cfg aws.Config) error {
				_, err := newDynamoDB(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{})
				return err
			},
			wantErr: true,
			call:    map[string]string{"AttemptCount": "0", "FinalHttpStatusCode": absent, "MaxRetriesExceeded": "0", "FinalSdkException": "InvalidParameter", "FinalAwsException": absent},
		},
		{
			name: "DynamoDB connection refused", service: "DynamoDB", api: "ListTables", do: ddbListTables,
			endpoint: closedEndpoint, wantErr: true,
			// The message is the cause's, without the SDK's wrappers, as
			// aws-sdk-go v1's integration gives it for the same failure.
			attempts: []map[string]string{
				{"HttpStatusCode": absent, "SdkException": "RequestError", "SdkExceptionMessage": refusedMessage, "AwsException": absent},
				{"HttpStatusCode": absent, "SdkException": "RequestError", "SdkExceptionMessage": refusedMessage},
				{"HttpStatusCode": absent, "SdkException": "RequestError", "SdkExceptionMessage": refusedMessage},
			},
			call: map[string]string{"AttemptCount": "3", "FinalHttpStatusCode": absent, "MaxRetriesExceeded": "1", "FinalSdkException": "RequestError", "FinalSdkExceptionMessage": refusedMessage, "FinalAwsException": absent},
		},
		{
			name: "S3 canceled", service: "S3", api: "GetObject", do: s3Call,
			canceled: true, wantErr: true,
			// The retry loop gives up before the first attempt: nothing is
			// sent, so there is no attempt.
			call: map[string]string{"AttemptCount": "0", "FinalHttpStatusCode": absent, "MaxRetriesExceeded": "0", "FinalSdkException": "RequestCanceled", "FinalSdkExceptionMessage": "context canceled"},
		},
		{
			name: "DynamoDB malformed response", service: "DynamoDB", api: "ListTables", do: ddbListTables,
			replies: []reply{ddbReply(200, `{"TableNames":[`)}, wantErr: true,
			attempts: []map[string]string{
				{"HttpStatusCode": "200", "SdkException": "SerializationError", "SdkExceptionMessage": "unexpected end of JSON input", "AwsException": absent, "XAmznRequestId": "DDBREQ200"},
			},
			call: map[string]string{"AttemptCount": "1", "FinalHttpStatusCode": "200", "MaxRetriesExceeded": "0", "FinalSdkException": "SerializationError", "FinalSdkExceptionMessage": "unexpected end of JSON input", "FinalAwsException": absent},
		},
		{
			name: "DynamoDB error with a request ID", service: "DynamoDB", api: "DescribeTable", do: ddbDescribeTable,
			replies: []reply{ddbNotFound}, wantErr: true,
			attempts: []map[string]string{
				{"HttpStatusCode": "400", "AwsException": "ResourceNotFoundException", "AwsExceptionMessage": "Requested resource not found: Table: missing not found", "XAmznRequestId": "DDBREQ400", "XAmzRequestId": absent, "XAmzId2": absent},
			},
			call: map[string]string{"AttemptCount": "1", "FinalHttpStatusCode": "400", "MaxRetriesExceeded": "0", "FinalAwsException": "ResourceNotFoundException"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, agent := startReporter(t)
			srv := newScript(t, tt.replies...)
			endpoint := newServer(t, srv)
			if tt.endpoint != nil {
				endpoint = tt.endpoint(t)
			}
			cfg := loadConfig(t, endpoint)
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
			ctx := testContext(t)
			if tt.canceled {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			}

			err := tt.do(ctx, cfg)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, len(tt.replies), srv.Served(), "the SDK made as many attempts as the script has replies")

			events := collect(t, rep, agent)
			require.Len(t, events, len(tt.attempts)+1)
			gotAttempts, gotCalls := attempts(events), calls(events)
			require.Len(t, gotAttempts, len(tt.attempts))
			require.Len(t, gotCalls, 1)
			assert.Equal(t, "ApiCall", events[len(events)-1]["Type"], "the call is reported after its attempts")

			common := map[string]string{
				"Service": tt.service, "Api": tt.api, "Region": testRegion,
				"ClientId": testClientID, "Version": "1",
			}
			host := strings.TrimPrefix(endpoint, "http://")
			for i, attempt := range gotAttempts {
				assertFields(t, attempt, common)
				assertFields(t, attempt, map[string]string{
					"Fqdn": "127.0.0.1", "AccessKey": testAccessKey, "SessionToken": absent,
				})
				assertFields(t, attempt, expand(tt.attempts[i], host))
				assert.NotEmpty(t, attempt["UserAgent"])
				assert.Contains(t, attempt, "AttemptLatency")
				assert.Contains(t, attempt, "Timestamp")
			}
			call := gotCalls[0]
			assertFields(t, call, common)
			assertFields(t, call, expand(tt.call, host))
			if len(gotAttempts) > 0 {
				assert.NotEmpty(t, call["UserAgent"], "the last attempt's")
			}
			assert.Contains(t, call, "Latency")
			assert.NotContains(t, call, "AccessKey", "a call carries no access key")

			st := rep.Stats()
			assert.Equal(t, csmv2.Stats{Queued: uint64(len(events)), Sent: uint64(len(events))}, st)
		})
	}
}

// closedEndpoint returns the URL of a port of 127.0.0.1 where nothing
// listens: connections to it are refused.
func closedEndpoint(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// refusedMessage is the message of a refused connection to {addr}.
const refusedMessage = "dial tcp {addr}: connect: connection refused"

// expand returns want with {addr} replaced by addr in its values.
func expand(want map[string]string, addr string) map[string]string {
	out := make(map[string]string, len(want))
	for k, v := range want {
		out[k] = strings.ReplaceAll(v, "{addr}", addr)
	}
	return out
}
