package report

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// The agent's address when the settings name no host or port.
const (
	defaultHost = "127.0.0.1"
	defaultPort = "31000"
)

var (
	// mu guards running.
	mu sync.Mutex
	// running is the process's reporter, once started.
	running *Reporter
)

// AddressWithDefaults returns the agent address "host:port", with
// 127.0.0.1 for an empty host or "localhost", 31000 for an empty port, and
// brackets around an IPv6 host.
func AddressWithDefaults(host, port string) string {
	if len(host) == 0 || strings.EqualFold(host, "localhost") {
		host = defaultHost
	}
	if len(port) == 0 {
		port = defaultPort
	}
	// Only an IPv6 host can contain a colon.
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// Start returns the process's reporter, starting it if none runs: one that
// sends to the agent at url, with a queue of capacity metrics. A reporter
// already running with another client ID or address gives a
// *MismatchError; one running with the same ones is returned whatever its
// capacity.
func Start(clientID, url string, capacity int) (*Reporter, error) {
	mu.Lock()
	defer mu.Unlock()

	if running != nil {
		if err := checkRunningLocked(clientID, url); err != nil {
			return nil, err
		}
		return running, nil
	}
	rep, err := newReporter(clientID, url, capacity)
	if err != nil {
		return nil, err
	}
	running = rep
	return rep, nil
}

// Get returns the process's reporter, or nil if none was started.
func Get() *Reporter {
	mu.Lock()
	defer mu.Unlock()
	return running
}

// checkRunning returns a *MismatchError if a reporter runs with another
// client ID or address, and nil otherwise.
func checkRunning(clientID, url string) error {
	mu.Lock()
	defer mu.Unlock()
	return checkRunningLocked(clientID, url)
}

func checkRunningLocked(clientID, url string) error {
	switch {
	case running == nil:
		return nil
	case running.clientID != clientID:
		return &MismatchError{Err: ErrClientIDMismatch, Running: running.clientID, Asked: clientID}
	case running.url != url:
		return &MismatchError{Err: ErrAddressMismatch, Running: running.url, Asked: url}
	}
	return nil
}

// The errors a *MismatchError wraps: which of the running reporter's
// settings differs from the one asked for.
var (
	ErrClientIDMismatch = errors.New("client ID")
	ErrAddressMismatch  = errors.New("address")
)

// MismatchError says that the process's reporter already runs with another
// client ID or address. errors.Is tells which: ErrClientIDMismatch or
// ErrAddressMismatch.
type MismatchError struct {
	Err     error  // ErrClientIDMismatch or ErrAddressMismatch
	Running string // the running reporter's
	Asked   string // the one asked for
}

// Error describes the mismatch.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("the running reporter has %v %q, not %q", e.Err, e.Running, e.Asked)
}

// Unwrap returns ErrClientIDMismatch or ErrAddressMismatch.
func (e *MismatchError) Unwrap() error { return e.Err }
