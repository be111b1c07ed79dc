// Command onecall makes one DynamoDB GetItem call through an aws-sdk-go-v2
// client whose config went through csmv2.Enable, and ends, the way a short
// command-line tool does: by returning from main, or with os.Exit when its
// first argument is "exit". It never calls Flush. With a second argument,
// "assume-role", the call's credentials come from an STS AssumeRole call
// made through a client of the same config, as a tool that assumes a role
// gets them. The endpoint of both is its ENDPOINT environment variable; CSM
// is set up by the AWS_CSM_* variables.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opencsm/csm-go/csmv2"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDONECALL", "secret", "")),
		config.WithBaseEndpoint(os.Getenv("ENDPOINT")),
		config.WithRetryMaxAttempts(1),
	)
	if err == nil {
		_, err = csmv2.Enable(&cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	callCfg := cfg
	if len(os.Args) > 2 && os.Args[2] == "assume-role" {
		callCfg = cfg.Copy()
		callCfg.Credentials = aws.NewCredentialsCache(
			stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::123456789012:role/exit"))
	}
	_, err = dynamodb.NewFromConfig(callCfg).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("t"),
		Key:       map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if len(os.Args) > 1 && os.Args[1] == "exit" {
		os.Exit(0)
	}
}
