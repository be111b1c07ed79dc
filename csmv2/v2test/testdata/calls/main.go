// Command calls makes DynamoDB GetItem calls through an aws-sdk-go-v2
// client whose config went through csmv2.Enable, against a transport that
// answers at once, and ends, the way a short command-line tool does: by
// returning from main, or with os.Exit when its first argument is "exit".
// Its second argument is the shape of its calls:
//
//   - "back-to-back": 5 calls one after the other;
//   - "fan-out": 4 goroutines make 3 calls each, and main waits for them;
//   - "after-flush": a call, Flush, and a call right after it.
//
// It never calls Flush at its end. CSM is set up by the AWS_CSM_*
// variables.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/opencsm/csm-go/csmv2"
)

// instant answers every request at once, without a network.
type instant struct{}

func (instant) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: 200,
		Header: http.Header{
			"Content-Type":     {"application/x-amz-json-1.0"},
			"X-Amzn-Requestid": {"CALLSREQUEST"},
		},
		Body:    io.NopCloser(strings.NewReader(`{"Item":{"k":{"S":"v"}}}`)),
		Request: r,
	}, nil
}

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDCALLS", "secret", "")),
		config.WithBaseEndpoint("http://dynamodb.invalid"),
		config.WithRetryMaxAttempts(1),
		config.WithHTTPClient(instant{}),
	)
	var rep *csmv2.Reporter
	if err == nil {
		rep, err = csmv2.Enable(&cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := dynamodb.NewFromConfig(cfg)
	call := func() {
		_, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	switch shape := os.Args[2]; shape {
	case "back-to-back":
		for i := 0; i < 5; i++ {
			call()
		}
	case "fan-out":
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 3; i++ {
					call()
				}
			}()
		}
		wg.Wait()
	case "after-flush":
		call()
		if err := rep.Flush(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		call()
	default:
		fmt.Fprintln(os.Stderr, "unknown shape", shape)
		os.Exit(2)
	}
	if os.Args[1] == "exit" {
		os.Exit(0)
	}
}
