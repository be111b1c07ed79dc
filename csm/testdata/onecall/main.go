// Command onecall makes one DynamoDB GetItem call through a session from
// csm.NewSession and ends, the way a short command-line tool does: by
// returning from main, or with os.Exit when its first argument is "exit".
// It never calls Flush. With a second argument, "assume-role", the call's
// credentials come from an STS AssumeRole call made through the same
// session, as a tool that assumes a role gets them. The endpoint of both
// is its ENDPOINT environment variable; CSM is set up by the AWS_CSM_*
// variables.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/credentials/stscreds"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/opencsm/csm-go/csm"
)

func main() {
	sess, err := csm.NewSession(&aws.Config{
		Region:      aws.String("us-west-2"),
		Endpoint:    aws.String(os.Getenv("ENDPOINT")),
		Credentials: credentials.NewStaticCredentials("AKIDONECALL", "secret", ""),
		MaxRetries:  aws.Int(0),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := dynamodb.New(sess)
	if len(os.Args) > 2 && os.Args[2] == "assume-role" {
		creds := stscreds.NewCredentials(sess, "arn:aws:iam::123456789012:role/exit")
		client = dynamodb.New(sess, &aws.Config{Credentials: creds})
	}
	_, err = client.GetItem(&dynamodb.GetItemInput{
		TableName: aws.String("t"),
		Key:       map[string]*dynamodb.AttributeValue{"k": {S: aws.String("v")}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if len(os.Args) > 1 && os.Args[1] == "exit" {
		os.Exit(0)
	}
}
