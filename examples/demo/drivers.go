package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"time"
)

// workers is how many goroutines of calls each driver runs.
const workers = 2

// The pause of a worker between two calls, from pauseMin to
// pauseMin+pauseSpread.
const (
	pauseMin    = 5 * time.Millisecond
	pauseSpread = 30 * time.Millisecond
)

// callTimeout bounds one call of the demo.
const callTimeout = 10 * time.Second

// callKind is a kind of call the demo makes. Every driver makes each kind
// the same way against the fake AWS, which answers as its name says.
type callKind int

const (
	callIdentity    callKind = iota // STS GetCallerIdentity: succeeds
	callAssumeRole                  // STS AssumeRole: succeeds
	callFlaky                       // STS AssumeRole: a 500, retried, then succeeds
	callDenied                      // STS AssumeRole: AccessDenied (403)
	callThrottled                   // STS GetSessionToken: Throttling until the retries run out
	callKeyInfo                     // STS GetAccessKeyInfo, by a client that does not drain response bodies
	callUnreachable                 // STS GetCallerIdentity where nothing listens: connection refused
	numCallKinds
)

// weights are how often each kind of call is made, in percent.
var weights = [numCallKinds]int{35, 15, 10, 8, 4, 25, 3}

// pick picks a kind of call by the weights.
func pick(rng *rand.Rand) callKind {
	n := rng.Intn(100)
	for c, w := range weights {
		if n < w {
			return callKind(c)
		}
		n -= w
	}
	return callIdentity
}

// target is where a driver's calls go.
type target struct {
	endpoint  string          // the fake AWS: https://127.0.0.1:PORT
	closed    string          // an endpoint where nothing listens
	transport *http.Transport // trusts the fake AWS's certificate
}

// driver makes the demo's calls through one AWS SDK, with csm-go's CSM
// reporting for it. Adding an SDK to the demo is adding a driver.
type driver struct {
	name  string // the SDK
	start func(t target) (sdkClient, error)
}

// sdkClient makes the demo's calls through one SDK.
type sdkClient interface {
	// call makes one call of kind c; name is unique to the call.
	call(ctx context.Context, c callKind, name string) error
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

// work makes calls through c, with short pauses, until ctx ends. A call
// under way when ctx ends is finished: the demo stops between calls, so
// that no call is counted as canceled.
func work(ctx context.Context, c sdkClient, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	pause := time.NewTimer(0)
	defer pause.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		call, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		_ = c.call(call, pick(rng), fmt.Sprintf("w%d-%d", seed, n)) // failures are what the demo shows
		cancel()
		pause.Reset(pauseMin + time.Duration(rng.Int63n(int64(pauseSpread))))
	}
}

// noDrainHeader asks the fake AWS to pad its answer; noDrain then hands
// the SDK the answer without the padding and closes the body unread, as a
// program does that does not drain response bodies: net/http cannot reuse
// the connection, and the next call opens a new one, with a new TLS
// handshake.
const noDrainHeader = "X-Demo-No-Drain"

// noDrain is a RoundTripper whose responses are closed before their end.
type noDrain struct{ next http.RoundTripper }

// RoundTrip asks for a padded answer and hides the padding.
func (t noDrain) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(noDrainHeader, "1")
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.ContentLength < padding {
		return resp, err
	}
	resp.ContentLength -= padding
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, resp.ContentLength), resp.Body}
	resp.Header.Del("Content-Length")
	return resp, nil
}

// padding is how many bytes the fake AWS adds to a padded answer.
const padding = 64 << 10
