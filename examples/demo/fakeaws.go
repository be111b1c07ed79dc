package main

import (
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeAWS answers STS (the query protocol: a form in, XML out) over TLS on
// loopback, as the service would. The request says what to answer, so
// that every SDK's driver gets the same behaviour:
//
//   - AssumeRole of a role named "flaky": InternalFailure (500) on the
//     first attempt for that session name, then success.
//   - AssumeRole of a role named "denied": AccessDenied (403).
//   - GetSessionToken: always Throttling (400): the SDK retries until it
//     gives up.
//   - Anything else succeeds.
//
// Each answer waits a few milliseconds, now and then more, so that the
// percentiles have something to show.
type fakeAWS struct {
	srv    *httptest.Server
	closed string
	conns  atomic.Int64 // connections accepted, each with a TLS handshake

	mu     sync.Mutex
	rng    *rand.Rand
	failed map[string]bool // the flaky names whose first attempt failed
}

// startFakeAWS starts the fake AWS on a free loopback port, with a
// certificate of its own.
func startFakeAWS() (*fakeAWS, error) {
	f := &fakeAWS{rng: rand.New(rand.NewSource(1)), failed: make(map[string]bool)}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.srv.StartTLS()
	// An endpoint where nothing listens: a free port, taken and let go.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.srv.Close()
		return nil, err
	}
	f.closed = "https://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		f.srv.Close()
		return nil, err
	}
	return f, nil
}

// target returns the endpoints and a transport that trusts the fake AWS.
func (f *fakeAWS) target() target {
	return target{
		endpoint:  f.srv.URL,
		closed:    f.closed,
		transport: f.srv.Client().Transport.(*http.Transport).Clone(),
	}
}

// close stops the fake AWS.
func (f *fakeAWS) close() { f.srv.Close() }

// ServeHTTP answers one request.
func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !f.wait(r) {
		return
	}
	form, _ := url.ParseQuery(string(body)) // an empty form answers an error
	action := form.Get("Action")
	role := form.Get("RoleArn")
	role = role[strings.LastIndex(role, "/")+1:]
	w.Header().Set("X-Amzn-RequestId", "FAKEREQUESTID")
	w.Header().Set("Content-Type", "text/xml")
	switch {
	case action == "AssumeRole" && role == "flaky" && f.firstAttempt(form.Get("RoleSessionName")):
		stsError(w, http.StatusInternalServerError, "Receiver", "InternalFailure", "Internal failure, try again.")
	case action == "AssumeRole" && role == "denied":
		stsError(w, http.StatusForbidden, "Sender", "AccessDenied", "User is not authorized to perform: sts:AssumeRole")
	case action == "GetSessionToken":
		stsError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded")
	case action == "AssumeRole":
		answer(w, r, action, `<Credentials><AccessKeyId>ASIAFAKEDEMOKEY00000</AccessKeyId><SecretAccessKey>fake</SecretAccessKey><SessionToken>fake</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/x</Arn><AssumedRoleId>AROAFAKE:x</AssumedRoleId></AssumedRoleUser>`)
	case action == "GetAccessKeyInfo":
		answer(w, r, action, `<Account>123456789012</Account>`)
	case action == "GetCallerIdentity":
		answer(w, r, action, `<Arn>arn:aws:iam::123456789012:user/demo</Arn><UserId>AIDAFAKE</UserId><Account>123456789012</Account>`)
	default:
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "Could not find operation "+action)
	}
}

// answer writes a successful answer to action with result inside, padded
// when the client asked for padding (noDrain).
func answer(w http.ResponseWriter, r *http.Request, action, result string) {
	s := fmt.Sprintf(`<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>FAKEREQUESTID</RequestId></ResponseMetadata></%sResponse>`,
		action, action, result, action, action)
	if r.Header.Get(noDrainHeader) != "" {
		s += strings.Repeat(" ", padding)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(s)))
	_, _ = io.WriteString(w, s)
}

// stsError writes an STS error answer.
func stsError(w http.ResponseWriter, status int, kind, code, message string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>FAKEREQUESTID</RequestId></ErrorResponse>`, kind, code, message)
}

// wait sleeps for the simulated service time, unless the request ends
// first; it reports whether to answer.
func (f *fakeAWS) wait(r *http.Request) bool {
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
