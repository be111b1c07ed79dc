package csm_test

import (
	"log"

	"github.com/aws/aws-sdk-go/aws/session"

	"github.com/opencsm/csm-go/csm"
)

// Turn on the HTTP timing fields of a reporter started by hand, before its
// handlers are injected: the attempts of the clients made from sess carry
// DnsLatency, TcpLatency, SslLatency, ConnectLatency,
// AcquireConnectionLatency, RequestLatency, ConnectionReused and
// DestinationIp. (Enable and NewSession read AWS_CSM_HTTP_TIMING instead.)
func ExampleReporter_SetHTTPTiming() {
	r, err := csm.Start("example", "127.0.0.1:31000")
	if err != nil {
		log.Fatal(err)
	}
	r.SetHTTPTiming(true)
	sess := session.Must(session.NewSession())
	r.InjectHandlers(&sess.Handlers)
	// Clients made from sess, such as dynamodb.New(sess), are reported
	// with their attempts timed.
}
