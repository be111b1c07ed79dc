package main

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencsm/csm-go/csm"
)

// demoWorkers is how many goroutines of calls each driver runs.
const demoWorkers = 2

// The pause of a worker between two calls, from demoPauseMin to
// demoPauseMin+demoPauseSpread.
const (
	demoPauseMin    = 10 * time.Millisecond
	demoPauseSpread = 40 * time.Millisecond
)

// demoCallTimeout bounds one call of the demo.
const demoCallTimeout = 10 * time.Second

// demoCall is a kind of call the demo makes. Every driver makes each kind
// the same way against the fake AWS, which answers as its name says (see
// fakeAWS).
type demoCall int

const (
	callListTables       demoCall = iota // DynamoDB ListTables: succeeds
	callGetItem                          // DynamoDB GetItem: succeeds
	callGetItemFlaky                     // DynamoDB GetItem: a 500, retried, then succeeds
	callGetItemThrottled                 // DynamoDB GetItem: throttled until the retries run out
	callDescribeMissing                  // DynamoDB DescribeTable: ResourceNotFoundException
	callGetObject                        // S3 GetObject: succeeds
	callGetObjectMissing                 // S3 GetObject: NoSuchKey
	callPutObjectFlaky                   // S3 PutObject: a 503 SlowDown, retried, then succeeds
	callUnreachable                      // DynamoDB ListTables where nothing listens: connection refused
	numDemoCalls
)

// demoWeights are how often each kind of call is made, in percent.
var demoWeights = [numDemoCalls]int{30, 18, 10, 3, 4, 15, 8, 10, 2}

// pickCall picks a kind of call by the weights.
func pickCall(rng *rand.Rand) demoCall {
	n := rng.Intn(100)
	for c, w := range demoWeights {
		if n < w {
			return demoCall(c)
		}
		n -= w
	}
	return callListTables
}

// demoClientID is the CSM client ID of the demo's datagrams. The process
// has one CSM reporter, with one client ID, which the packages for every
// SDK share: all the drivers use it.
const demoClientID = "csmtail-demo"

// target is where a driver's calls and datagrams go.
type target struct {
	endpoint string // the fake AWS: http://127.0.0.1:PORT
	closed   string // an endpoint where nothing listens
	agent    string // csmtail's UDP address, host:port
	clientID string // the CSM client ID
}

// driver makes the demo's calls through one AWS SDK, with this module's
// CSM reporting for it. Adding an SDK to the demo is adding a driver.
type driver struct {
	name string // the SDK
	// start starts the process's CSM reporter, or gets the running one,
	// with t.clientID and t.agent, and sets up the SDK's clients of
	// t.endpoint with its handlers or middleware.
	start func(t target) (sdkClient, error)
}

// sdkClient makes the demo's calls through one SDK.
type sdkClient interface {
	// call makes one call of kind c; name is unique to the call.
	call(ctx context.Context, c demoCall, name string) error
	// close releases the clients' connections.
	close()
}

// drivers are the SDKs the demo drives, all at once.
var drivers = []driver{
	{name: "aws-sdk-go", start: startV1},
	{name: "aws-sdk-go-v2", start: startV2},
}

// driverNames returns the names of the drivers.
func driverNames() string {
	names := make([]string, len(drivers))
	for i, d := range drivers {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// demo is the fake AWS the demo's calls go to.
type demo struct {
	srv    *http.Server
	served chan struct{}
	target target
}

// startDemo keeps this machine's AWS settings out of the process and
// starts the fake AWS on a free loopback port.
func startDemo() (*demo, error) {
	if err := isolate(); err != nil {
		return nil, err
	}
	closed, err := closedEndpoint()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &demo{
		srv:    &http.Server{Handler: newFakeAWS(true), ReadHeaderTimeout: 10 * time.Second},
		served: make(chan struct{}),
		target: target{endpoint: "http://" + ln.Addr().String(), closed: closed},
	}
	go func() {
		defer close(d.served)
		_ = d.srv.Serve(ln) // ErrServerClosed once close is called
	}()
	return d, nil
}

// close stops the fake AWS.
func (d *demo) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
	<-d.served
}

// run makes calls through every driver, reporting to agent, for duration
// or until ctx ends, then flushes the reporter and returns how many
// datagrams it sent for them.
func (d *demo) run(ctx context.Context, agent string, duration time.Duration) (uint64, error) {
	t := d.target
	t.agent = agent
	t.clientID = demoClientID
	var clients []sdkClient
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	for _, dr := range drivers {
		c, err := dr.start(t)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", dr.name, err)
		}
		clients = append(clients, c)
	}
	rep := csm.Get() // the reporter the drivers started, shared by all
	sentBefore := rep.Stats().Sent

	calls, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range clients {
		for w := 0; w < demoWorkers; w++ {
			wg.Add(1)
			go func(c sdkClient, worker string, seed int64) {
				defer wg.Done()
				work(calls, c, worker, seed)
			}(c, fmt.Sprintf("%d-%d", i, w), int64(i*demoWorkers+w))
		}
	}
	wg.Wait()

	flush, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelFlush()
	err := rep.Flush(flush)
	return rep.Stats().Sent - sentBefore, err
}

// work makes calls through c, with short pauses, until ctx ends. A call
// under way when ctx ends is finished: the demo stops between calls, so
// that no call is counted as canceled.
func work(ctx context.Context, c sdkClient, worker string, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	pause := time.NewTimer(0)
	defer pause.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		call, cancel := context.WithTimeout(context.WithoutCancel(ctx), demoCallTimeout)
		_ = c.call(call, pickCall(rng), fmt.Sprintf("w%s-%d", worker, n)) // failures are what the demo shows
		cancel()
		pause.Reset(demoPauseMin + time.Duration(rng.Int63n(int64(demoPauseSpread))))
	}
}

// closedEndpoint returns an HTTP endpoint on 127.0.0.1 where nothing
// listens: a free port, taken and let go.
func closedEndpoint() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

// isolate clears this process's AWS_ environment variables and points the
// shared config and credentials files at a file that does not exist, so
// that the demo's SDK clients read none of this machine's AWS settings
// (such as AWS_CA_BUNDLE, which SDKs apply to the demo's HTTP client, or a
// profile's region).
func isolate() error {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			if err := os.Unsetenv(k); err != nil {
				return err
			}
		}
	}
	none := filepath.Join(os.TempDir(), "csmtail-demo-no-such-file")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
