// Command demo shows CSM end to end on this machine alone, with no AWS
// account: it starts a CSM agent on a free loopback port and a stand-in for
// AWS on another, makes real aws-sdk-go calls through a session from
// csm.NewSession (one that succeeds, one that is retried, one that fails,
// one that never reaches a server) and aws-sdk-go-v2 calls through a config
// set up by csmv2.Enable (one that succeeds, one that is retried), and
// prints every datagram the agent receives: one stream from both SDKs.
//
//	go run ./examples/demo
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/s3"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	credentialsv2 "github.com/aws/aws-sdk-go-v2/credentials"
	dynamodbv2 "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/csmv2"
)

func main() {
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatal("demo: ", err)
	}
}

func run() error {
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer agent.Close()
	received := make(chan string, 64)
	go func() {
		buf := make([]byte, 65535)
		for {
			n, err := agent.Read(buf)
			if err != nil {
				close(received)
				return
			}
			received <- string(buf[:n])
		}
	}()

	fake := httptest.NewServer(fakeAWS())
	defer fake.Close()

	// The settings a real program would get from its environment or
	// ~/.aws/config; this machine's own AWS settings stay out of the demo.
	port := fmt.Sprint(agent.LocalAddr().(*net.UDPAddr).Port)
	if err := isolate(map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_PORT": port, "AWS_CSM_CLIENT_ID": "csm-go-demo"}); err != nil {
		return err
	}
	fmt.Printf("CSM agent on 127.0.0.1:%s, fake AWS endpoint at %s\n\n", port, fake.URL)

	sess, err := csm.NewSession(&aws.Config{
		Region:           aws.String("us-west-2"),
		Endpoint:         aws.String(fake.URL),
		Credentials:      credentials.NewStaticCredentials("AKIDDEMO", "demo-secret", ""),
		S3ForcePathStyle: aws.Bool(true),
		MaxRetries:       aws.Int(2),
	})
	if err != nil {
		return err
	}
	db, bucket := dynamodb.New(sess), s3.New(sess)

	calls := []struct {
		what string
		call func() error
	}{
		{"DynamoDB ListTables: succeeds", func() error {
			_, err := db.ListTables(&dynamodb.ListTablesInput{})
			return err
		}},
		{"DynamoDB DescribeTable: a 500, retried, then succeeds", func() error {
			_, err := db.DescribeTable(&dynamodb.DescribeTableInput{TableName: aws.String("flaky")})
			return err
		}},
		{"S3 GetObject: fails with NoSuchKey", func() error {
			_, err := bucket.GetObject(&s3.GetObjectInput{Bucket: aws.String("demo"), Key: aws.String("missing")})
			return err
		}},
		{"DynamoDB ListTables on a closed port: never reaches a server", func() error {
			closed := dynamodb.New(sess, &aws.Config{Endpoint: aws.String("http://127.0.0.1:1"), MaxRetries: aws.Int(0)})
			_, err := closed.ListTables(&dynamodb.ListTablesInput{})
			return err
		}},
	}
	cfg := awsv2.Config{
		Region:       "us-west-2",
		BaseEndpoint: awsv2.String(fake.URL),
		Credentials:  credentialsv2.NewStaticCredentialsProvider("AKIDDEMO", "demo-secret", ""),
		Retryer: func() awsv2.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 })
		},
	}
	if _, err := csmv2.Enable(&cfg); err != nil {
		return err
	}
	dbv2 := dynamodbv2.NewFromConfig(cfg)
	calls = append(calls, []struct {
		what string
		call func() error
	}{
		{"aws-sdk-go-v2 DynamoDB ListTables: succeeds", func() error {
			_, err := dbv2.ListTables(context.Background(), &dynamodbv2.ListTablesInput{})
			return err
		}},
		{"aws-sdk-go-v2 DynamoDB DescribeTable: a 500, retried, then succeeds", func() error {
			_, err := dbv2.DescribeTable(context.Background(), &dynamodbv2.DescribeTableInput{TableName: awsv2.String("flaky")})
			return err
		}},
	}...)
	for _, c := range calls {
		err := c.call()
		fmt.Printf("%s\n  error: %v\n", c.what, firstLine(err))
	}

	rep := csm.Get()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rep.Flush(ctx); err != nil {
		return err
	}
	st := rep.Stats()
	fmt.Printf("\nThe reporter sent %d datagrams; the agent received:\n", st.Sent)
	for i := uint64(0); i < st.Sent; i++ {
		select {
		case d := <-received:
			fmt.Println(d)
		case <-ctx.Done():
			return errors.New("datagrams missing")
		}
	}
	fmt.Printf("\nreporter stats: %+v\n", st)
	return nil
}

// isolate clears this process's AWS_ environment variables, points the
// shared config and credentials files at files that do not exist, and sets
// env.
func isolate(env map[string]string) error {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			if err := os.Unsetenv(k); err != nil {
				return err
			}
		}
	}
	none := filepath.Join(os.TempDir(), "csm-go-demo-no-such-file")
	env["AWS_CONFIG_FILE"] = none
	env["AWS_SHARED_CREDENTIALS_FILE"] = none
	env["AWS_EC2_METADATA_DISABLED"] = "true"
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// fakeAWS answers DynamoDB and S3 requests the way the services would.
func fakeAWS() http.Handler {
	var describes atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		switch {
		case strings.HasSuffix(target, ".ListTables"):
			w.Header().Set("X-Amzn-RequestId", "LISTTABLES1")
			fmt.Fprint(w, `{"TableNames":["demo"]}`)
		case strings.HasSuffix(target, ".DescribeTable"):
			n := describes.Add(1)
			w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("DESCRIBE%d", n))
			if n%2 == 1 { // the first attempt of each call
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`)
				return
			}
			fmt.Fprint(w, `{"Table":{"TableName":"flaky","TableStatus":"ACTIVE"}}`)
		default: // S3 GetObject
			w.Header().Set("x-amz-request-id", "S3REQUESTID")
			w.Header().Set("x-amz-id-2", "S3EXTENDEDID")
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
		}
	})
}

func firstLine(err error) string {
	if err == nil {
		return "none"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
