package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/opencsm/csm-go/csm"
)

// The modes a trial can run.
const (
	modeBare     = "bare-write"
	modeOriginal = "aws-sdk-go"
	modeOurs     = "csm-go"
)

// result is what a trial's child reports to the parent.
type result struct {
	Produced int     // datagrams the reporter was given (2 per call), or written
	Achieved float64 // calls per second actually offered
	// QueueFull is how many metrics csm-go dropped because its queue was
	// full; the rest of what did not arrive was lost on the way.
	QueueFull uint64
	// Backlog is how many metrics csm-go still had queued when the pacing
	// ended; Achieved counts the time to send them.
	Backlog uint64
}

// runTrial offers rate calls per second for d, split between callers
// goroutines, then waits for the reporter to send what it queued.
func runTrial(mode string, rate int, d time.Duration, agentAddr string, callers int) (result, error) {
	// This machine's AWS settings stay out of the trial: with
	// AWS_CSM_ENABLED set, aws-sdk-go would start its own reporter.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			_ = os.Unsetenv(k)
		}
	}
	none := filepath.Join(os.TempDir(), "csm-go-loadtest-no-such-file")
	_ = os.Setenv("AWS_CONFIG_FILE", none)
	_ = os.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	if mode == modeBare {
		// The ceiling is one writer's.
		callers = 1
	}
	reqs := make([]*request.Request, callers)
	for i := range reqs {
		req, err := completedRequest()
		if err != nil {
			return result{}, err
		}
		reqs[i] = req
	}
	var (
		handlers request.Handlers
		call     func(caller int)
		perCall  = 2
		finish   = func() error { return nil }
		stats    = func() csm.Stats { return csm.Stats{} }
	)
	switch mode {
	case modeOurs:
		rep, err := csm.Start("loadtest", agentAddr)
		if err != nil {
			return result{}, err
		}
		rep.InjectHandlers(&handlers)
		stats = rep.Stats
		finish = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return rep.Flush(ctx)
		}
	case modeOriginal:
		rep, err := awscsm.Start("loadtest", agentAddr)
		if err != nil {
			return result{}, err
		}
		rep.InjectHandlers(&handlers)
		// The original has no Flush: its queue holds 100 metrics, which
		// its sender writes in well under this.
		finish = func() error { time.Sleep(500 * time.Millisecond); return nil }
	case modeBare:
		conn, err := net.Dial("udp", agentAddr)
		if err != nil {
			return result{}, err
		}
		defer conn.Close()
		datagram := []byte(sampleDatagram)
		perCall = 1
		call = func(int) { _, _ = conn.Write(datagram) }
	default:
		return result{}, fmt.Errorf("unknown mode %q", mode)
	}
	if call == nil {
		call = func(caller int) {
			handlers.CompleteAttempt.Run(reqs[caller])
			handlers.Complete.Run(reqs[caller])
		}
	}

	start := time.Now()
	var (
		wg    sync.WaitGroup
		calls atomic.Int64
	)
	for i := 0; i < callers; i++ {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			share := rate / callers
			if i < rate%callers {
				share++
			}
			calls.Add(int64(pace(share, d, func() { call(i) })))
		}()
	}
	wg.Wait()
	st := stats()
	if err := finish(); err != nil {
		return result{}, err
	}
	if mode == modeOriginal {
		// The original's time to drain was slept, not measured.
		return result{Produced: int(calls.Load()) * perCall, Achieved: float64(calls.Load()) / d.Seconds()}, nil
	}
	return result{
		Produced:  int(calls.Load()) * perCall,
		Achieved:  float64(calls.Load()) / time.Since(start).Seconds(),
		QueueFull: stats().DroppedFull,
		Backlog:   st.Queued - st.Sent - st.WriteErrors,
	}, nil
}

// pace calls call rate times a second for d, in a burst every millisecond,
// and returns how many calls it made.
func pace(rate int, d time.Duration, call func()) int {
	if rate <= 0 {
		return 0
	}
	const tick = time.Millisecond
	start := time.Now()
	calls := 0
	for next := start; next.Sub(start) < d; next = next.Add(tick) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		due := int(int64(rate) * int64(next.Sub(start)+tick) / int64(time.Second))
		for ; calls < due; calls++ {
			call()
		}
	}
	return calls
}

// completedRequest returns a DynamoDB ListTables request that was sent once
// to a local stand-in for DynamoDB, so that it holds a signed HTTP request
// and a response with its request ID, as the handlers see them.
func completedRequest() (*request.Request, error) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "LOADTEST0REQUEST0ID0000000000000000000000000000")
		fmt.Fprint(w, `{"TableNames":[]}`)
	}))
	defer srv.Close()
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-west-2"),
		Endpoint:    aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentials("AKIDLOADTEST00000000", "secret", ""),
	})
	if err != nil {
		return nil, err
	}
	req, _ := dynamodb.New(sess).ListTablesRequest(&dynamodb.ListTablesInput{})
	return req, req.Send()
}

// sampleDatagram is an ApiCallAttempt datagram of the size the reporters
// send in a trial.
const sampleDatagram = `{"ClientId":"loadtest","Api":"ListTables","Service":"DynamoDB","Timestamp":1795658112222,` +
	`"Type":"ApiCallAttempt","Version":1,"Fqdn":"127.0.0.1","UserAgent":"aws-sdk-go/1.55.8 (go1.26.8; linux; amd64)",` +
	`"AttemptLatency":0,"Region":"us-west-2","AccessKey":"AKIDLOADTEST00000000","HttpStatusCode":200,` +
	`"XAmznRequestId":"LOADTEST0REQUEST0ID0000000000000000000000000000"}`
