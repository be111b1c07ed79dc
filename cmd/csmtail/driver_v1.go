package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/s3"

	"github.com/opencsm/csm-go/csm"
)

// v1Retryer retries as aws-sdk-go does by default, with shorter delays so
// that the demo shows many calls.
var v1Retryer = client.DefaultRetryer{
	NumMaxRetries:    3,
	MinRetryDelay:    5 * time.Millisecond,
	MaxRetryDelay:    40 * time.Millisecond,
	MinThrottleDelay: 10 * time.Millisecond,
	MaxThrottleDelay: 80 * time.Millisecond,
}

// v1Client makes the demo's calls through aws-sdk-go (v1), reported by
// csm.
type v1Client struct {
	transport   *http.Transport
	db          *dynamodb.DynamoDB
	unreachable *dynamodb.DynamoDB
	s3          *s3.S3
}

// startV1 starts the process's CSM reporter, sending to t.agent, and makes
// aws-sdk-go clients of the fake AWS with its handlers.
func startV1(t target) (sdkClient, error) {
	rep, err := csm.Start(t.clientID, t.agent)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	sess, err := session.NewSession(&aws.Config{
		Region:           aws.String("us-west-2"),
		Endpoint:         aws.String(t.endpoint),
		Credentials:      credentials.NewStaticCredentials("AKIDDEMO", "demo-secret", ""),
		S3ForcePathStyle: aws.Bool(true),
		HTTPClient:       &http.Client{Transport: transport},
		Retryer:          v1Retryer,
	})
	if err != nil {
		return nil, err
	}
	rep.InjectHandlers(&sess.Handlers)
	return &v1Client{
		transport:   transport,
		db:          dynamodb.New(sess),
		unreachable: dynamodb.New(sess, &aws.Config{Endpoint: aws.String(t.closed)}),
		s3:          s3.New(sess),
	}, nil
}

// call makes one call of kind c.
func (v *v1Client) call(ctx context.Context, c demoCall, name string) error {
	var err error
	switch c {
	case callListTables:
		_, err = v.db.ListTablesWithContext(ctx, &dynamodb.ListTablesInput{})
	case callGetItem:
		_, err = v.db.GetItemWithContext(ctx, getItemInput("demo", name))
	case callGetItemFlaky:
		_, err = v.db.GetItemWithContext(ctx, getItemInput("flaky-"+name, name))
	case callGetItemThrottled:
		_, err = v.db.GetItemWithContext(ctx, getItemInput("throttled", name))
	case callDescribeMissing:
		_, err = v.db.DescribeTableWithContext(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	case callGetObject, callGetObjectMissing:
		key := name
		if c == callGetObjectMissing {
			key = "missing-" + name
		}
		var out *s3.GetObjectOutput
		out, err = v.s3.GetObjectWithContext(ctx, &s3.GetObjectInput{Bucket: aws.String("demo"), Key: aws.String(key)})
		if err == nil {
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	case callPutObjectFlaky:
		_, err = v.s3.PutObjectWithContext(ctx, &s3.PutObjectInput{
			Bucket: aws.String("demo"),
			Key:    aws.String("flaky-" + name),
			Body:   strings.NewReader("hello"),
		})
	case callUnreachable:
		_, err = v.unreachable.ListTablesWithContext(ctx, &dynamodb.ListTablesInput{})
	}
	return err
}

// getItemInput asks for the item whose id is key in table.
func getItemInput(table, key string) *dynamodb.GetItemInput {
	return &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]*dynamodb.AttributeValue{"id": {S: aws.String(key)}},
	}
}

// close closes the idle connections.
func (v *v1Client) close() {
	v.transport.CloseIdleConnections()
}
