package tail_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/opencsm/csm-go/cmd/csmtail/tail"
)

// ExampleRun runs csmtail in a program of its own, on a socket the program
// opened, with every event as a JSON line: the session token redacted, the
// access key ID masked. Run returns when its context ends.
func ExampleRun() {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	ctx, stop := context.WithCancel(context.Background())
	env := tail.Env{
		Stdout: os.Stdout,
		Stderr: io.Discard, // where it listens, and the summary
		Conn:   conn,
		Ready: func(r *tail.Receiver) {
			// What an SDK with CSM on sends when a call ends.
			c, err := net.DialUDP("udp", nil, r.Addr().(*net.UDPAddr))
			if err != nil {
				panic(err)
			}
			defer c.Close()
			_, _ = c.Write([]byte(`{"Type":"ApiCall","Service":"STS","Api":"GetCallerIdentity","FinalHttpStatusCode":200,"Latency":4,"AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"IQoJb3JpZ2luX2VjEXAMPLE"}`))
			go func() {
				for r.Received() < 1 {
					time.Sleep(time.Millisecond)
				}
				stop()
			}()
		},
	}
	if code := tail.Run(ctx, []string{"--json", "--interval", "10ms"}, env); code != 0 {
		fmt.Println("exit status", code)
	}
	// Output:
	// {"Type":"ApiCall","Service":"STS","Api":"GetCallerIdentity","FinalHttpStatusCode":200,"Latency":4,"AccessKey":"****MPLE","SessionToken":"REDACTED"}
}
