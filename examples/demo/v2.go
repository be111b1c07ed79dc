package main

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opencsm/csm-go/csmv2"
)

// v2Client makes the demo's calls through aws-sdk-go-v2, reported by
// csmv2.
type v2Client struct {
	transports  []*http.Transport
	sts         *sts.Client
	noDrain     *sts.Client
	unreachable *sts.Client
}

// startV2 makes aws-sdk-go-v2 clients of the fake AWS from a config set
// up by csmv2.Enable, which reads the AWS_CSM_ settings and gets the
// process's reporter.
func startV2(t target) (sdkClient, error) {
	drained, undrained := t.transport, t.transport.Clone()
	cfg := aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(t.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKEDEMOKEY2V2V2", "fake-secret", "fake-session-token"),
		HTTPClient:   &http.Client{Transport: drained},
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
	}
	if _, err := csmv2.Enable(&cfg); err != nil {
		return nil, err
	}
	return &v2Client{
		transports: []*http.Transport{drained, undrained},
		sts:        sts.NewFromConfig(cfg),
		noDrain: sts.NewFromConfig(cfg, func(o *sts.Options) {
			o.HTTPClient = &http.Client{Transport: noDrain{undrained}}
		}),
		unreachable: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(t.closed) }),
	}, nil
}

// call makes one call of kind c.
func (v *v2Client) call(ctx context.Context, c callKind, name string) error {
	var err error
	switch c {
	case callIdentity:
		_, err = v.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	case callAssumeRole, callFlaky, callDenied:
		_, err = v.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String("arn:aws:iam::123456789012:role/" + roleOf(c)),
			RoleSessionName: aws.String(name),
		})
	case callThrottled:
		_, err = v.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	case callKeyInfo:
		_, err = v.noDrain.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAFAKEDEMOKEY00000")})
	case callUnreachable:
		_, err = v.unreachable.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	}
	return err
}

// close closes the idle connections.
func (v *v2Client) close() {
	for _, t := range v.transports {
		t.CloseIdleConnections()
	}
}
