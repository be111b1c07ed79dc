package v2test

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/csmv2"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

const (
	testClientID  = "v2test"
	testRegion    = "us-west-2"
	testAccessKey = "AKIDV2TESTACCESSKEY"
	testSecretKey = "v2test-secret-key-never-sent"
)

// TestMain hides this machine's AWS settings from every test and benchmark:
// the AWS_ variables are unset, and the shared config and credentials files
// are empty files of a temporary directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "v2test")
	if err == nil {
		err = isolateEnv(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func isolateEnv(dir string) error {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			if err := os.Unsetenv(kv[:strings.IndexByte(kv, '=')]); err != nil {
				return err
			}
		}
	}
	for name, file := range map[string]string{
		"AWS_CONFIG_FILE":             dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
	} {
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			return err
		}
		if err := os.Setenv(name, file); err != nil {
			return err
		}
	}
	if err := os.Setenv("AWS_EC2_METADATA_DISABLED", "true"); err != nil {
		return err
	}
	return os.Setenv("HOME", dir)
}

// startReporter starts the process's reporter towards a new test agent and
// stops it when the test ends.
func startReporter(t testing.TB) (*csmv2.Reporter, *reporttest.Agent) {
	t.Helper()
	agent := reporttest.NewAgent(t)
	rep, err := csmv2.Start(testClientID, agent.Addr())
	require.NoError(t, err)
	t.Cleanup(resetReporter)
	return rep, agent
}

// flushAndSync waits until everything rep queued has reached agent.
func flushAndSync(t testing.TB, rep *csmv2.Reporter, agent *reporttest.Agent) {
	t.Helper()
	require.NoError(t, rep.Flush(testContext(t)))
	agent.Sync(t)
}

// collect waits until everything rep queued has reached agent, checks that
// no datagram holds the secret key, and returns the events.
func collect(t testing.TB, rep *csmv2.Reporter, agent *reporttest.Agent, secrets ...string) []map[string]any {
	t.Helper()
	flushAndSync(t, rep, agent)
	for _, raw := range agent.Raw() {
		for _, secret := range append(secrets, testSecretKey) {
			assert.NotContains(t, string(raw), secret, "a datagram holds a secret key")
		}
	}
	return agent.Events(t)
}

// testContext returns a context that ends with the test, or after a minute:
// a safety net against a hung test, not a measured duration.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// noBackoff retries at once.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// fastRetryer is the standard retryer of 3 attempts without backoff and
// without the retry quota, which would refuse retries after the many
// failures the tests script in one process.
func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Backoff = noBackoff{}
		o.RateLimiter = ratelimit.None
	})
}

// loadConfig loads a config as programs do, with the tests' region, static
// credentials, and endpoint, and with fastRetryer.
func loadConfig(t testing.TB, endpoint string, optFns ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	opts := append([]func(*config.LoadOptions) error{
		config.WithRegion(testRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")),
		config.WithBaseEndpoint(endpoint),
		config.WithRetryer(fastRetryer),
	}, optFns...)
	cfg, err := config.LoadDefaultConfig(testContext(t), opts...)
	require.NoError(t, err)
	return cfg
}

func newS3(cfg aws.Config, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = true
		// The fake endpoint sends no checksums; the SDK would log so.
		o.DisableLogOutputChecksumValidationSkipped = true
	}}, optFns...)...)
}

func newDynamoDB(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, optFns...)
}

// getObject calls S3 GetObject and reads the object.
func getObject(ctx context.Context, client *s3.Client) error {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("key")})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	_, err = io.Copy(io.Discard, out.Body)
	return err
}

// reply is a scripted response of the fake AWS endpoint.
type reply struct {
	status int
	header map[string]string
	body   string
}

func (r reply) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

// script answers the requests it gets with its replies, in order.
type script struct {
	t       testing.TB
	mu      sync.Mutex
	replies []reply
	served  int
}

// newServer starts a fake AWS endpoint on 127.0.0.1 that answers with h, and
// returns its URL.
func newServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newScript(t testing.TB, replies ...reply) *script {
	return &script{t: t, replies: replies}
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	n := s.served
	s.served++
	s.mu.Unlock()
	if n >= len(s.replies) {
		s.t.Errorf("request %d (%s %s) is past the script's %d replies", n+1, r.Method, r.URL.Path, len(s.replies))
		http.Error(w, "unscripted", http.StatusNotImplemented)
		return
	}
	s.replies[n].write(w)
}

// Served returns how many requests the script has answered.
func (s *script) Served() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

// Replies of S3 and DynamoDB.
var (
	s3Object = reply{status: 200, header: map[string]string{
		"Content-Type": "text/plain", "x-amz-request-id": "S3REQOK", "x-amz-id-2": "S3HOSTOK",
	}, body: "hello"}
	s3InternalError = s3Error(500, "InternalError", "We encountered an internal error. Please try again.")
	s3SlowDown      = s3Error(503, "SlowDown", "Please reduce your request rate.")
	s3NoSuchKey     = s3Error(404, "NoSuchKey", "The specified key does not exist.")

	ddbTables        = ddbReply(200, `{"TableNames":["a","b"]}`)
	ddbInternalError = ddbError(500, "InternalServerError", "Internal server error")
	ddbUnavailable   = ddbError(503, "ServiceUnavailable", "Service unavailable")
	ddbNotFound      = ddbError(400, "ResourceNotFoundException", "Requested resource not found: Table: missing not found")
)

func s3Error(status int, code, message string) reply {
	return reply{status: status, header: map[string]string{
		"Content-Type":     "application/xml",
		"x-amz-request-id": "S3REQ" + code,
		"x-amz-id-2":       "S3HOST" + code,
	}, body: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>` + code + `</Code><Message>` + message + `</Message>` +
		`<RequestId>S3REQ` + code + `</RequestId><HostId>S3HOST` + code + `</HostId></Error>`}
}

// ddbReply is a DynamoDB response, with the CRC32 of its body that DynamoDB
// sends and its clients check.
func ddbReply(status int, body string) reply {
	return reply{status: status, header: map[string]string{
		"Content-Type":     "application/x-amz-json-1.0",
		"x-amzn-RequestId": fmt.Sprintf("DDBREQ%d", status),
		"x-amz-crc32":      strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10),
	}, body: body}
}

func ddbError(status int, code, message string) reply {
	return ddbReply(status, `{"__type":"com.amazonaws.dynamodb.v20120810#`+code+`","message":"`+message+`"}`)
}

// absent, as a wanted field value, asks that the event has no such field.
const absent = "<absent>"

// assertFields checks the fields of an event, compared as text.
func assertFields(t *testing.T, event map[string]any, want map[string]string) {
	t.Helper()
	for field, value := range want {
		got, ok := event[field]
		if value == absent {
			assert.False(t, ok, "%s is %v, want none, in %v", field, got, event)
			continue
		}
		if assert.True(t, ok, "no %s in %v", field, event) {
			assert.Equal(t, value, fmt.Sprint(got), "%s of %v", field, event)
		}
	}
}

// ofType returns the events of one Type, in the order they arrived.
func ofType(events []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["Type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func calls(events []map[string]any) []map[string]any    { return ofType(events, "ApiCall") }
func attempts(events []map[string]any) []map[string]any { return ofType(events, "ApiCallAttempt") }

// resetReporter stops the process's reporter, discarding what it queued, so
// that the next test can start another with other settings.
func resetReporter() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = csmv2.Get().Shutdown(ctx)
}
