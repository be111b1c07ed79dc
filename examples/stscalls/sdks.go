package main

import (
	"context"
	"time"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/client"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	stsv1 "github.com/aws/aws-sdk-go/service/sts"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/csmv2"
)

// Both SDKs make at most 3 attempts per call, with short delays.

// startV1 makes an aws-sdk-go STS client from csm.NewSession, which reads
// the AWS_CSM_ settings.
func startV1(endpoint, region string) (sdk, error) {
	sess, err := csm.NewSession(&awsv1.Config{
		Region:      awsv1.String(region),
		Endpoint:    awsv1.String(endpoint),
		Credentials: credsv1.NewStaticCredentials("AKIAFAKESTSCALLSV1V1", "fake-secret", "fake-session-token"),
		Retryer: client.DefaultRetryer{
			NumMaxRetries:    2,
			MinRetryDelay:    5 * time.Millisecond,
			MaxRetryDelay:    20 * time.Millisecond,
			MinThrottleDelay: 5 * time.Millisecond,
			MaxThrottleDelay: 20 * time.Millisecond,
		},
	})
	if err != nil {
		return nil, err
	}
	c := stsv1.New(sess)
	return func(ctx context.Context, op string) error {
		var err error
		switch op {
		case "GetCallerIdentity":
			_, err = c.GetCallerIdentityWithContext(ctx, &stsv1.GetCallerIdentityInput{})
		case "AssumeRole":
			_, err = c.AssumeRoleWithContext(ctx, &stsv1.AssumeRoleInput{
				RoleArn: awsv1.String("arn:aws:iam::123456789012:role/denied"), RoleSessionName: awsv1.String("stscalls"),
			})
		case "GetSessionToken":
			_, err = c.GetSessionTokenWithContext(ctx, &stsv1.GetSessionTokenInput{})
		}
		return err
	}, nil
}

// startV2 makes an aws-sdk-go-v2 STS client from a config set up by
// csmv2.Enable, which reads the AWS_CSM_ settings.
func startV2(endpoint, region string) (sdk, error) {
	cfg := aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKESTSCALLSV2V2", "fake-secret", "fake-session-token"),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = 20 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
	if _, err := csmv2.Enable(&cfg); err != nil {
		return nil, err
	}
	c := sts.NewFromConfig(cfg)
	return func(ctx context.Context, op string) error {
		var err error
		switch op {
		case "GetCallerIdentity":
			_, err = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		case "AssumeRole":
			_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::123456789012:role/denied"), RoleSessionName: aws.String("stscalls"),
			})
		case "GetSessionToken":
			_, err = c.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		}
		return err
	}, nil
}
