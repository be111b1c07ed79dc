package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fakeAWS answers DynamoDB (JSON protocol) and S3 (REST-XML, path style)
// requests as the services would. The request says what to answer, so that
// any SDK's driver gets the same behaviour:
//
//   - DynamoDB GetItem on a table named "throttled": always
//     ProvisionedThroughputExceededException (the SDK retries until it
//     gives up); "flaky-...": InternalServerError (500) on the first
//     attempt for that name, then success.
//   - DynamoDB DescribeTable on "missing": ResourceNotFoundException.
//   - S3 GetObject of a key "missing...": NoSuchKey (404).
//   - S3 PutObject of a key "flaky-...": SlowDown (503) on the first
//     attempt for that key, then success.
//   - Anything else succeeds.
//
// With latency set, each answer waits a few milliseconds, now and then
// more, so that the percentiles have something to show.
type fakeAWS struct {
	latency bool

	mu     sync.Mutex
	rng    *rand.Rand
	failed map[string]bool // the flaky names whose first attempt failed
}

// newFakeAWS returns a fake AWS; latency makes it wait before it answers.
func newFakeAWS(latency bool) *fakeAWS {
	return &fakeAWS{latency: latency, rng: rand.New(rand.NewSource(1)), failed: make(map[string]bool)}
}

// ServeHTTP answers one request.
func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !f.wait(r) {
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		var req struct{ TableName string }
		_ = json.Unmarshal(body, &req) // no table name if it is not there
		f.dynamoDB(w, target, req.TableName)
		return
	}
	f.s3(w, r)
}

// wait sleeps for the simulated service time, unless the request ends
// first; it reports whether to answer.
func (f *fakeAWS) wait(r *http.Request) bool {
	if !f.latency {
		return true
	}
	f.mu.Lock()
	n := f.rng.Intn(100)
	d := time.Duration(1+f.rng.Intn(6)) * time.Millisecond
	switch {
	case n < 2:
		d = time.Duration(80+f.rng.Intn(70)) * time.Millisecond
	case n < 12:
		d = time.Duration(10+f.rng.Intn(30)) * time.Millisecond
	}
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// firstAttempt reports whether this is the first attempt for name, and
// forgets name after its second one.
func (f *fakeAWS) firstAttempt(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed[name] {
		delete(f.failed, name)
		return false
	}
	f.failed[name] = true
	return true
}

// dynamoDB answers the operation target names (DynamoDB_20120810.GetItem)
// on table.
func (f *fakeAWS) dynamoDB(w http.ResponseWriter, target, table string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-RequestId", "FAKEREQUESTID")
	_, op, _ := strings.Cut(target, ".")
	switch {
	case op == "GetItem" && table == "throttled":
		dynamoDBError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.")
	case op == "GetItem" && strings.HasPrefix(table, "flaky-") && f.firstAttempt(table):
		dynamoDBError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error, try again.")
	case op == "DescribeTable" && table == "missing":
		dynamoDBError(w, http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Table: missing not found")
	case op == "ListTables":
		fmt.Fprint(w, `{"TableNames":["demo"]}`)
	case op == "DescribeTable":
		fmt.Fprintf(w, `{"Table":{"TableName":%q,"TableStatus":"ACTIVE"}}`, table)
	default:
		fmt.Fprint(w, `{}`)
	}
}

// dynamoDBError writes a DynamoDB error response.
func dynamoDBError(w http.ResponseWriter, status int, code, message string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"__type":  "com.amazonaws.dynamodb.v20120810#" + code,
		"message": message,
	})
}

// s3 answers an S3 request.
func (f *fakeAWS) s3(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amz-request-id", "FAKEREQUESTID")
	w.Header().Set("x-amz-id-2", "FAKEEXTENDEDID")
	// Path style: /bucket/key.
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(key, "missing"):
		s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	case r.Method == http.MethodPut && strings.HasPrefix(key, "flaky-") && f.firstAttempt(key):
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case r.Method == http.MethodPut:
		w.Header().Set("ETag", `"fakeetag"`)
	default:
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "hello from the fake S3\n")
	}
}

// s3Error writes an S3 error response.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>FAKEREQUESTID</RequestId></Error>`, code, message)
}
