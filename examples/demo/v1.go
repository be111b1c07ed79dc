package main

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/service/sts"

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
	transports  []*http.Transport
	sts         *sts.STS
	noDrain     *sts.STS
	unreachable *sts.STS
}

// startV1 makes aws-sdk-go clients of the fake AWS from csm.NewSession,
// which reads the AWS_CSM_ settings and starts the process's reporter.
func startV1(t target) (sdkClient, error) {
	drained, undrained := t.transport, t.transport.Clone()
	sess, err := csm.NewSession(&aws.Config{
		Region:      aws.String("us-west-2"),
		Endpoint:    aws.String(t.endpoint),
		Credentials: credentials.NewStaticCredentials("AKIAFAKEDEMOKEY1V1V1", "fake-secret", "fake-session-token"),
		HTTPClient:  &http.Client{Transport: drained},
		Retryer:     v1Retryer,
	})
	if err != nil {
		return nil, err
	}
	return &v1Client{
		transports:  []*http.Transport{drained, undrained},
		sts:         sts.New(sess),
		noDrain:     sts.New(sess, &aws.Config{HTTPClient: &http.Client{Transport: noDrain{undrained}}}),
		unreachable: sts.New(sess, &aws.Config{Endpoint: aws.String(t.closed)}),
	}, nil
}

// call makes one call of kind c.
func (v *v1Client) call(ctx context.Context, c callKind, name string) error {
	var err error
	switch c {
	case callIdentity:
		_, err = v.sts.GetCallerIdentityWithContext(ctx, &sts.GetCallerIdentityInput{})
	case callAssumeRole, callFlaky, callDenied:
		_, err = v.sts.AssumeRoleWithContext(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String("arn:aws:iam::123456789012:role/" + roleOf(c)),
			RoleSessionName: aws.String(name),
		})
	case callThrottled:
		_, err = v.sts.GetSessionTokenWithContext(ctx, &sts.GetSessionTokenInput{})
	case callKeyInfo:
		_, err = v.noDrain.GetAccessKeyInfoWithContext(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAFAKEDEMOKEY00000")})
	case callUnreachable:
		_, err = v.unreachable.GetCallerIdentityWithContext(ctx, &sts.GetCallerIdentityInput{})
	}
	return err
}

// roleOf returns the role an AssumeRole call of kind c asks for.
func roleOf(c callKind) string {
	switch c {
	case callFlaky:
		return "flaky"
	case callDenied:
		return "denied"
	}
	return "demo"
}

// close closes the idle connections.
func (v *v1Client) close() {
	for _, t := range v.transports {
		t.CloseIdleConnections()
	}
}
