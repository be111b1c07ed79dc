package ingest_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// A datagram's events, and what a receiver may show of one.
func ExampleParse() {
	datagram := []byte(`{"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","FinalHttpStatusCode":400,` +
		`"FinalAwsException":"ProvisionedThroughputExceededException","Latency":57,"AttemptCount":4,` +
		`"AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"FwoGZXIvYXdzEXAMPLE"}`)
	events, bad := ingest.Parse(nil, datagram)
	fmt.Printf("bad: %q, events: %d\n", bad, len(events))
	e := events[0]
	code, exception := e.Status()
	fmt.Println(e.Type, e.Service, e.API, code, exception, e.Latency, e.Failed())
	fmt.Println(string(ingest.AppendRedacted(nil, e.Raw)))
	// Output:
	// bad: "", events: 1
	// ApiCall DynamoDB GetItem 400 ProvisionedThroughputExceededException 57 true
	// {"Type":"ApiCall","Service":"DynamoDB","Api":"GetItem","FinalHttpStatusCode":400,"FinalAwsException":"ProvisionedThroughputExceededException","Latency":57,"AttemptCount":4,"AccessKey":"****MPLE","SessionToken":"REDACTED"}
}

// A receive loop that parses each batch of datagrams, with one Parser, on
// the loop's goroutine.
func ExampleReceiver() {
	conn, err := ingest.Listen("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := &ingest.Receiver{Conn: conn}
	var p ingest.Parser
	var events []ingest.Event
	done := make(chan error)
	go func() {
		done <- r.Run(ctx, func(batch []ingest.Packet, received time.Time) {
			for _, pk := range batch {
				var bad ingest.BadReason
				if pk.Truncated {
					bad = ingest.BadTooLarge
				} else {
					events, bad = p.Parse(events[:0], pk.Data)
				}
				for _, e := range events {
					fmt.Println(e.Type, e.Service, e.API)
				}
				if bad != "" {
					fmt.Println("bad:", bad)
				}
			}
			cancel() // one batch is enough here
		})
	}()

	c, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(`{"Type":"ApiCallAttempt","Service":"S3","Api":"GetObject"}`))
	fmt.Println("Run:", <-done)
	// Output:
	// ApiCallAttempt S3 GetObject
	// Run: <nil>
}

// NameSet bounds the names a receiver keeps; the others are counted under
// one name.
func ExampleNameSet() {
	regions := ingest.NewNameSet(2)
	for _, r := range []string{"us-east-1", "eu-west-1", "us-east-1", "ap-south-1"} {
		if !regions.Admit(r) {
			r = "_OTHER"
		}
		fmt.Println(r)
	}
	// Output:
	// us-east-1
	// eu-west-1
	// us-east-1
	// _OTHER
}
