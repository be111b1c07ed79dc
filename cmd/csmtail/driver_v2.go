package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/opencsm/csm-go/csmv2"
)

// v2Client makes the demo's calls through aws-sdk-go-v2, reported by
// csmv2.
type v2Client struct {
	transport   *http.Transport
	db          *dynamodb.Client
	unreachable *dynamodb.Client
	s3          *s3.Client
}

// startV2 gets the process's CSM reporter (or starts it), sending to
// t.agent, and makes aws-sdk-go-v2 clients of the fake AWS with its
// middleware.
func startV2(t target) (sdkClient, error) {
	rep, err := csmv2.Start(t.clientID, t.agent)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	cfg := aws.Config{
		Region:      "us-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDDEMO", "demo-secret", ""),
		HTTPClient:  &http.Client{Transport: transport},
		// aws-sdk-go-v2's standard retryer, with shorter delays so that
		// the demo shows many calls, and without its retry quota, which
		// the demo's many errors would soon exhaust.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.MaxBackoff = 40 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
		APIOptions: append([]func(*middleware.Stack) error(nil), rep.AddMiddleware),
	}
	endpoint := func(url string) func(*dynamodb.Options) {
		return func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) }
	}
	return &v2Client{
		transport:   transport,
		db:          dynamodb.NewFromConfig(cfg, endpoint(t.endpoint)),
		unreachable: dynamodb.NewFromConfig(cfg, endpoint(t.closed)),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(t.endpoint)
			o.UsePathStyle = true
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
	}, nil
}

// call makes one call of kind c.
func (v *v2Client) call(ctx context.Context, c demoCall, name string) error {
	var err error
	switch c {
	case callListTables:
		_, err = v.db.ListTables(ctx, &dynamodb.ListTablesInput{})
	case callGetItem:
		_, err = v.db.GetItem(ctx, getItemInputV2("demo", name))
	case callGetItemFlaky:
		_, err = v.db.GetItem(ctx, getItemInputV2("flaky-"+name, name))
	case callGetItemThrottled:
		_, err = v.db.GetItem(ctx, getItemInputV2("throttled", name))
	case callDescribeMissing:
		_, err = v.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	case callGetObject, callGetObjectMissing:
		key := name
		if c == callGetObjectMissing {
			key = "missing-" + name
		}
		var out *s3.GetObjectOutput
		out, err = v.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("demo"), Key: aws.String(key)})
		if err == nil {
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	case callPutObjectFlaky:
		_, err = v.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("demo"),
			Key:    aws.String("flaky-" + name),
			Body:   strings.NewReader("hello"),
		})
	case callUnreachable:
		_, err = v.unreachable.ListTables(ctx, &dynamodb.ListTablesInput{})
	}
	return err
}

// getItemInputV2 asks for the item whose id is key in table.
func getItemInputV2(table, key string) *dynamodb.GetItemInput {
	return &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
	}
}

// close closes the idle connections.
func (v *v2Client) close() {
	v.transport.CloseIdleConnections()
}
