package main

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsv2 "github.com/aws/aws-sdk-go-v2/aws"
	credentialsv2 "github.com/aws/aws-sdk-go-v2/credentials"
	dynamodbv2 "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	typesv2 "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"golang.org/x/net/ipv4"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/csmv2"
)

// getItemBody is the stubbed GetItem response.
const getItemBody = `{"Item":{"k":{"S":"v"},"n":{"N":"1"}}}`

// stubTransport answers every request with a canned GetItem response, as a
// DynamoDB endpoint would, without a network: the calls cost what the SDK
// and CSM cost, not what a server costs.
type stubTransport struct{}

func (stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: 200,
		Status:     "200 OK",
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":     {"application/x-amz-json-1.0"},
			"X-Amzn-Requestid": {"CPULOAD0REQUEST0ID000000000000000000000000000000"},
			"X-Amz-Crc32":      {strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(getItemBody))), 10)},
		},
		Body:          io.NopCloser(strings.NewReader(getItemBody)),
		ContentLength: int64(len(getItemBody)),
		Request:       req,
	}, nil
}

const (
	region   = "us-west-2"
	endpoint = "http://dynamodb.test"
	akid     = "AKIDCPULOAD000000000"
)

// runTrial makes GetItem calls at rate for d in mode, from goroutines
// goroutines, then lets the reporter finish for a moment, and returns the
// calls, the process's CPU time over both, and the calls' latencies.
func runTrial(mode string, rate, goroutines int, d time.Duration, agentAddr string) (result, error) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			_ = os.Unsetenv(k)
		}
	}
	none := filepath.Join(os.TempDir(), "csm-go-cpuload-no-such-file")
	_ = os.Setenv("AWS_CONFIG_FILE", none)
	_ = os.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	var (
		call   func() error
		stats  = func() csm.Stats { return csm.Stats{} }
		finish = func() {}
	)
	switch mode {
	case modeV1None, modeV1Original, modeV1Ours, modeV1Floor, modeV1Batched:
		sess, err := session.NewSession(&aws.Config{
			Region:      aws.String(region),
			Endpoint:    aws.String(endpoint),
			Credentials: credentials.NewStaticCredentials(akid, "secret", ""),
			HTTPClient:  &http.Client{Transport: stubTransport{}},
			MaxRetries:  aws.Int(0),
		})
		if err != nil {
			return result{}, err
		}
		switch mode {
		case modeV1Original:
			rep, err := awscsm.Start("cpuload", agentAddr)
			if err != nil {
				return result{}, err
			}
			rep.InjectHandlers(&sess.Handlers)
		case modeV1Ours:
			rep, err := csm.Start("cpuload", agentAddr)
			if err != nil {
				return result{}, err
			}
			rep.InjectHandlers(&sess.Handlers)
			stats = rep.Stats
		}
		client := dynamodb.New(sess)
		in := &dynamodb.GetItemInput{
			TableName: aws.String("t"),
			Key:       map[string]*dynamodb.AttributeValue{"k": {S: aws.String("v")}},
		}
		call = func() error { _, err := client.GetItem(in); return err }
		switch mode {
		case modeV1Floor, modeV1Batched:
			if goroutines > 1 {
				return result{}, fmt.Errorf("%s runs with one calling goroutine only", mode)
			}
			batch := 1
			if mode == modeV1Batched {
				batch = 32
			}
			write, flush, err := floorWriter(agentAddr, batch)
			if err != nil {
				return result{}, err
			}
			finish = flush
			sdkCall := call
			call = func() error {
				err := sdkCall()
				write()
				return err
			}
		}
	case modeV2None, modeV2Ours:
		cfg := awsv2.Config{
			Region:           region,
			BaseEndpoint:     awsv2.String(endpoint),
			Credentials:      credentialsv2.NewStaticCredentialsProvider(akid, "secret", ""),
			HTTPClient:       &http.Client{Transport: stubTransport{}},
			RetryMaxAttempts: 1,
		}
		if mode == modeV2Ours {
			rep, err := csmv2.Start("cpuload", agentAddr)
			if err != nil {
				return result{}, err
			}
			cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
			stats = rep.Stats
		}
		client := dynamodbv2.NewFromConfig(cfg)
		in := &dynamodbv2.GetItemInput{
			TableName: awsv2.String("t"),
			Key:       map[string]typesv2.AttributeValue{"k": &typesv2.AttributeValueMemberS{Value: "v"}},
		}
		ctx := context.Background()
		call = func() error { _, err := client.GetItem(ctx, in); return err }
	default:
		return result{}, fmt.Errorf("unknown mode %q", mode)
	}

	// Warm up (connection-free, but the SDK builds caches on first use),
	// then let the reporters' goroutines go idle.
	for i := 0; i < 10; i++ {
		if err := call(); err != nil {
			return result{}, err
		}
	}
	time.Sleep(50 * time.Millisecond)

	var (
		failed  atomic.Value
		wg      sync.WaitGroup
		total   atomic.Int64
		latency = make([][]time.Duration, goroutines)
	)
	before := cpuTime()
	for g := 0; g < goroutines; g++ {
		share := rate / goroutines
		if g < rate%goroutines {
			share++
		}
		lat := make([]time.Duration, 0, int(int64(share)*int64(d+time.Second)/int64(time.Second)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := pace(share, d, func() {
				start := time.Now()
				err := call()
				lat = append(lat, time.Since(start))
				if err != nil {
					failed.CompareAndSwap(nil, err)
				}
			})
			total.Add(int64(n))
			latency[g] = lat
		}()
	}
	wg.Wait()
	calls := int(total.Load())
	// The same settling time for every mode: the reporters finish what
	// they queued, and it is charged to them.
	finish()
	time.Sleep(100 * time.Millisecond)
	cpu := cpuTime() - before
	if err, _ := failed.Load().(error); err != nil {
		return result{}, err
	}
	st := stats()
	var all []time.Duration
	for _, l := range latency {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return result{Calls: calls, Warmup: 10, CPU: cpu, DroppedFull: st.DroppedFull, WriteErrors: st.WriteErrors,
		Deferred: st.Deferred, P50: quantile(all, 0.50), P99: quantile(all, 0.99)}, nil
}

// quantile returns the q quantile of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

// floorDatagrams are an ApiCallAttempt and an ApiCall datagram of the size
// csm-go sends for these calls.
var floorDatagrams = [2]string{
	`{"ClientId":"cpuload","Api":"GetItem","Service":"DynamoDB","Timestamp":1795658112222,"Type":"ApiCallAttempt",` +
		`"Version":1,"Fqdn":"dynamodb.test","UserAgent":"aws-sdk-go/1.55.8 (go1.26.8; linux; amd64)","AttemptLatency":0,` +
		`"Region":"us-west-2","AccessKey":"AKIDCPULOAD000000000","HttpStatusCode":200,` +
		`"XAmznRequestId":"CPULOAD0REQUEST0ID000000000000000000000000000000"}`,
	`{"ClientId":"cpuload","Api":"GetItem","Service":"DynamoDB","Timestamp":1795658112222,"Type":"ApiCall",` +
		`"Version":1,"AttemptCount":1,"Latency":0,"FinalHttpStatusCode":200,` +
		`"UserAgent":"aws-sdk-go/1.55.8 (go1.26.8; linux; amd64)","Region":"us-west-2","MaxRetriesExceeded":0}`,
}

// floorWriter returns a function to call after each call, which writes
// the floorDatagrams of the last batch calls to addr with one sendmmsg
// after every batch-th call, and one that writes those of the calls since.
func floorWriter(addr string, batch int) (write, flush func(), err error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, nil, err
	}
	pc := ipv4.NewPacketConn(conn)
	msgs := make([]ipv4.Message, 2*batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{[]byte(floorDatagrams[i%2])}
	}
	pending := 0
	flush = func() {
		for sent := 0; sent < 2*pending; {
			n, err := pc.WriteBatch(msgs[sent:2*pending], 0)
			if err != nil || n <= 0 {
				break
			}
			sent += n
		}
		pending = 0
	}
	write = func() {
		if pending++; pending == batch {
			flush()
		}
	}
	return write, flush, nil
}
