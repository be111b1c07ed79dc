package csmv2_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/opencsm/csm-go/csmv2"
)

// Enable CSM from the settings: AWS_CSM_ENABLED, AWS_CSM_HOST, AWS_CSM_PORT
// and AWS_CSM_CLIENT_ID, or the csm_* keys of the shared config file. Every
// client made from the config afterwards is reported. Here the CSM agent
// and the service are local stand-ins, and the settings, which would come
// from the program's environment, are set by the example.
func ExampleEnable() {
	agent := exampleAgent()
	service := exampleService()
	defer service.Close()
	for k, v := range map[string]string{
		"AWS_CSM_ENABLED":   "true",
		"AWS_CSM_HOST":      "127.0.0.1",
		"AWS_CSM_PORT":      fmt.Sprint(agent.LocalAddr().(*net.UDPAddr).Port),
		"AWS_CSM_CLIENT_ID": "example",
	} {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}

	cfg := aws.Config{ // in a program: config.LoadDefaultConfig(ctx)
		Region:      "us-west-2",
		Credentials: exampleCredentials(),
	}
	rep, err := csmv2.Enable(&cfg)
	if err != nil {
		// A *csmv2.SettingError: the clients work, without CSM.
		log.Printf("CSM stays off: %v", err)
	}

	client := newExampleClient(cfg, service.URL) // in a program: s3.NewFromConfig(cfg), ...
	if err := client.Call(context.Background(), "GetGreeting"); err != nil {
		log.Fatal(err)
	}
	if err := rep.Flush(context.Background()); err != nil { // before a short-lived program exits
		log.Fatal(err)
	}
	printDatagrams(agent, 2)
	// Output:
	// ApiCallAttempt example Example GetGreeting AccessKey=AKIDEXAMPLE HttpStatusCode=200
	// ApiCall example Example GetGreeting AttemptCount=1 FinalHttpStatusCode=200
}

// Start the reporter with settings of the program's own, and add its
// middleware to a config (or to one client's options): every client made
// from the config is reported.
func ExampleStart() {
	agent := exampleAgent()
	service := exampleService()
	defer service.Close()

	rep, err := csmv2.Start("example", agent.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	cfg := aws.Config{
		Region:      "us-west-2",
		Credentials: exampleCredentials(),
	}
	// With config.LoadDefaultConfig, the option
	// config.WithAPIOptions([]func(*middleware.Stack) error{rep.AddMiddleware})
	// does the same.
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)

	client := newExampleClient(cfg, service.URL)
	if err := client.Call(context.Background(), "GetGreeting"); err != nil {
		log.Fatal(err)
	}
	if err := rep.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	printDatagrams(agent, 2)
	stats := rep.Stats()
	fmt.Println("dropped:", stats.DroppedFull, "write errors:", stats.WriteErrors)
	// Output:
	// ApiCallAttempt example Example GetGreeting AccessKey=AKIDEXAMPLE HttpStatusCode=200
	// ApiCall example Example GetGreeting AttemptCount=1 FinalHttpStatusCode=200
	// dropped: 0 write errors: 0
}

var (
	exampleAgentOnce sync.Once
	exampleAgentConn *net.UDPConn
)

// exampleAgent returns a CSM agent on a loopback UDP port, one for all the
// examples: the process has one reporter, with one agent address.
func exampleAgent() *net.UDPConn {
	exampleAgentOnce.Do(func() {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			log.Fatal(err)
		}
		exampleAgentConn = conn
	})
	return exampleAgentConn
}

// printDatagrams reads n datagrams from the agent and prints what
// identifies each.
func printDatagrams(agent *net.UDPConn, n int) {
	if err := agent.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 65536)
	for i := 0; i < n; i++ {
		size, err := agent.Read(buf)
		if err != nil {
			log.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(buf[:size], &m); err != nil {
			log.Fatal(err)
		}
		fmt.Print(m["Type"], " ", m["ClientId"], " ", m["Service"], " ", m["Api"])
		if m["Type"] == "ApiCall" {
			fmt.Printf(" AttemptCount=%v FinalHttpStatusCode=%v\n", m["AttemptCount"], m["FinalHttpStatusCode"])
		} else {
			fmt.Printf(" AccessKey=%v HttpStatusCode=%v\n", m["AccessKey"], m["HttpStatusCode"])
		}
	}
}

// exampleService is a local stand-in for an AWS service that answers every
// request with "{}".
func exampleService() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, "{}")
	}))
}

// exampleCredentials are static credentials, as the credentials module's
// NewStaticCredentialsProvider gives.
func exampleCredentials() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "example-secret"}, nil
	})
}

// exampleClient is a small client of the "Example" service, built as
// aws-sdk-go-v2's generated clients are (service metadata, a serializer,
// the standard retryer, Signature Version 4, a deserializer, and the
// config's APIOptions), so that the examples need no service module.
type exampleClient struct {
	cfg      aws.Config
	endpoint *url.URL
}

func newExampleClient(cfg aws.Config, endpoint string) *exampleClient {
	u, err := url.Parse(endpoint)
	if err != nil {
		log.Fatal(err)
	}
	return &exampleClient{cfg: cfg, endpoint: u}
}

// Call runs the operation, as a generated client's method does.
func (c *exampleClient) Call(ctx context.Context, operation string) error {
	stack := middleware.NewStack(operation, smithyhttp.NewStackRequest)
	steps := []error{
		stack.Initialize.Add(&awsmiddleware.RegisterServiceMetadata{
			ServiceID: "Example", SigningName: "example", Region: c.cfg.Region, OperationName: operation,
		}, middleware.Before),
		stack.Serialize.Add(serializeJSONRPC{
			scheme: c.endpoint.Scheme, host: c.endpoint.Host, target: "Example." + operation,
		}, middleware.After),
		stack.Build.Add(payloadHash{}, middleware.After),
		stack.Finalize.Add(retry.NewAttemptMiddleware(retry.NewStandard(), smithyhttp.RequestCloner), middleware.After),
		stack.Finalize.Add(v4.NewSignHTTPRequestMiddleware(v4.SignHTTPRequestMiddlewareOptions{
			CredentialsProvider: c.cfg.Credentials, Signer: v4.NewSigner(),
		}), middleware.After),
		awsmiddleware.AddRawResponseToMetadata(stack),
		stack.Deserialize.Add(deserializeJSONRPC{}, middleware.After),
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	for _, option := range c.cfg.APIOptions {
		if err := option(stack); err != nil {
			return err
		}
	}
	handler := middleware.DecorateHandler(smithyhttp.NewClientHandler(http.DefaultClient), stack)
	_, _, err := handler.Handle(ctx, struct{}{})
	return err
}
