package csm

import (
	"fmt"
	"strings"
	"sync"
)

const (
	// DefaultPort is used when no port is specified.
	DefaultPort = "31000"

	// DefaultHost is the host that will be used when none is specified.
	DefaultHost = "127.0.0.1"
)

var (
	// mu guards reporter.
	mu sync.Mutex
	// reporter is the process's reporter, once started.
	reporter *Reporter
)

// AddressWithDefaults returns a CSM address built from the host and port
// values. If the host or port is not set, default values will be used
// instead. If host is "localhost" it will be replaced with "127.0.0.1".
func AddressWithDefaults(host, port string) string {
	if len(host) == 0 || strings.EqualFold(host, "localhost") {
		host = DefaultHost
	}

	if len(port) == 0 {
		port = DefaultPort
	}

	// Only IP6 host can contain a colon
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}

	return host + ":" + port
}

// Start starts the process's reporter, which sends metrics over UDP to the
// agent at url ("host:port"), and returns it. Calling Start again with the
// same client ID and address returns the same reporter; calling it with a
// different client ID or address panics, as the original package does.
// Enable returns an error in that case instead.
//
// Start returns an error, and starts nothing, when url is not a usable UDP
// address: a malformed address, a host that does not resolve, a bad port.
//
// Start does not report any API call by itself: inject the reporter's
// handlers into a session with InjectHandlers, or use Enable or NewSession.
//
//	r, err := csm.Start("clientID", "127.0.0.1:31000")
//	if err != nil {
//		return err
//	}
//	sess := session.Must(session.NewSession())
//	r.InjectHandlers(&sess.Handlers)
func Start(clientID string, url string) (*Reporter, error) {
	rep, err := start(clientID, url)
	if mismatch, ok := err.(*mismatchError); ok {
		panic(mismatch.panicValue())
	}
	return rep, err
}

// Get returns the process's reporter, or nil if none was started.
func Get() *Reporter {
	mu.Lock()
	defer mu.Unlock()
	return reporter
}

// start returns the running reporter or starts one; a reporter already
// running with another client ID or address gives a *mismatchError.
func start(clientID, url string) (*Reporter, error) {
	mu.Lock()
	defer mu.Unlock()

	if reporter != nil {
		if err := checkRunning(clientID, url); err != nil {
			return nil, err
		}
		return reporter, nil
	}
	rep, err := newReporter(clientID, url)
	if err != nil {
		return nil, err
	}
	reporter = rep
	return rep, nil
}

// checkRunning returns a *mismatchError if a reporter runs with another
// client ID or address. mu must be held.
func checkRunning(clientID, url string) error {
	switch {
	case reporter == nil:
		return nil
	case reporter.clientID != clientID:
		return &mismatchError{what: "client ID", running: reporter.clientID, asked: clientID}
	case reporter.url != url:
		return &mismatchError{what: "address", running: reporter.url, asked: url}
	}
	return nil
}

// mismatchError says that the process's reporter already runs with another
// client ID or address.
type mismatchError struct {
	what    string
	running string
	asked   string
}

func (e *mismatchError) Error() string {
	return fmt.Sprintf("the running reporter has %s %q, not %q", e.what, e.running, e.asked)
}

// panicValue is the error the original package panics with.
func (e *mismatchError) panicValue() error {
	if e.what == "client ID" {
		return fmt.Errorf("inconsistent client IDs. %q was expected, but received %q", e.running, e.asked)
	}
	return fmt.Errorf("inconsistent URLs. %q was expected, but received %q", e.running, e.asked)
}
