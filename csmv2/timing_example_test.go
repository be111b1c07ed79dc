package csmv2_test

import (
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opencsm/csm-go/csmv2"
)

// Turn on the HTTP timing fields of a reporter started by hand: the
// attempts of the clients made from cfg carry DnsLatency, TcpLatency,
// SslLatency, ConnectLatency, AcquireConnectionLatency, RequestLatency,
// ConnectionReused and DestinationIp.
func ExampleReporter_SetHTTPTiming() {
	rep, err := csmv2.Start("example", "127.0.0.1:31000")
	if err != nil {
		log.Fatal(err)
	}
	rep.SetHTTPTiming(true)
	var cfg aws.Config // as config.LoadDefaultConfig returns it
	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	// Clients made from cfg, such as dynamodb.NewFromConfig(cfg), are
	// reported with their attempts timed.
}
