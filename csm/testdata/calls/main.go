// Command calls makes DynamoDB GetItem calls through a session from
// csm.NewSession, against a transport that answers at once, and ends, the
// way a short command-line tool does: by returning from main, or with
// os.Exit when its first argument is "exit". Its second argument is the
// shape of its calls:
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

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/opencsm/csm-go/csm"
)

// instant answers every request at once, without a network.
type instant struct{}

func (instant) RoundTrip(r *http.Request) (*http.Response, error) {
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
	sess, err := csm.NewSession(&aws.Config{
		Region:      aws.String("us-west-2"),
		Endpoint:    aws.String("http://dynamodb.invalid"),
		Credentials: credentials.NewStaticCredentials("AKIDCALLS", "secret", ""),
		MaxRetries:  aws.Int(0),
		HTTPClient:  &http.Client{Transport: instant{}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := dynamodb.New(sess)
	call := func() {
		_, err := client.GetItem(&dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]*dynamodb.AttributeValue{"k": {S: aws.String("v")}},
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
		if err := csm.Get().Flush(context.Background()); err != nil {
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
