package csm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/opencsm/csm-go/csm"
)

// Start the reporter by hand and add its handlers to a session: every
// client made from the session is then reported. Here the agent and the
// DynamoDB endpoint are local stand-ins.
func ExampleStart() {
	agent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		log.Fatal(err)
	}
	defer agent.Close()
	dynamo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "EXAMPLE")
		fmt.Fprint(w, `{"TableNames":[]}`)
	}))
	defer dynamo.Close()

	r, err := csm.Start("example", agent.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-west-2"),
		Endpoint:    aws.String(dynamo.URL),
		Credentials: credentials.NewStaticCredentials("AKIDEXAMPLE", "secret", ""),
	})
	if err != nil {
		log.Fatal(err)
	}
	r.InjectHandlers(&sess.Handlers)

	if _, err := dynamodb.New(sess).ListTables(&dynamodb.ListTablesInput{}); err != nil {
		log.Fatal(err)
	}
	if err := r.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}

	buf := make([]byte, 8192)
	for i := 0; i < 2; i++ {
		n, err := agent.Read(buf)
		if err != nil {
			log.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			log.Fatal(err)
		}
		fmt.Println(m["Type"], m["ClientId"], m["Service"], m["Api"], m["AccessKey"], m["XAmznRequestId"])
	}
	// Output:
	// ApiCallAttempt example DynamoDB ListTables AKIDEXAMPLE EXAMPLE
	// ApiCall example DynamoDB ListTables <nil> <nil>
}

// Create a session with CSM enabled as AWS_CSM_ENABLED, AWS_CSM_HOST,
// AWS_CSM_PORT, AWS_CSM_CLIENT_ID and the shared config file ask.
func ExampleNewSession() {
	sess, err := csm.NewSession(&aws.Config{Region: aws.String("us-west-2")})
	if err != nil {
		// A session may come back with an error that only concerns CSM:
		// it then works without monitoring.
		if sess == nil {
			log.Fatal(err)
		}
		log.Printf("CSM is off: %v", err)
	}
	_ = sess // svc := dynamodb.New(sess) ...
}

// Pause reporting around calls that should not be reported.
func ExampleReporter_Pause() {
	r := csm.Get() // nil if no reporter was started: the methods are no-ops then
	r.Pause()
	// ... calls that are not reported ...
	r.Continue()
}

// In a short-lived process, such as an AWS Lambda handler, wait for the
// queued metrics to be sent before returning.
func ExampleReporter_Flush() {
	handler := func(ctx context.Context) error {
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_ = csm.Get().Flush(ctx)
		}()
		// ... API calls ...
		return nil
	}
	_ = handler
}

// Stats tells how many metrics were sent and dropped.
func ExampleReporter_Stats() {
	st := csm.Get().Stats()
	fmt.Printf("sent %d, queue full %d, paused %d, write errors %d\n",
		st.Sent, st.DroppedFull, st.DroppedPaused, st.WriteErrors)
}
