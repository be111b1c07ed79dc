package report

import (
	"fmt"
	"strings"
	"sync"
)

// The agent's address when the settings name no host or port.
const (
	DefaultHost = "127.0.0.1"
	DefaultPort = "31000"
)

var (
	// mu guards running.
	mu sync.Mutex
	// running is the process's reporter, once started.
	running *Reporter
)

// AddressWithDefaults returns the agent address "host:port", with
// DefaultHost for an empty host or "localhost", DefaultPort for an empty
// port, and brackets around an IPv6 host.
func AddressWithDefaults(host, port string) string {
	if len(host) == 0 || strings.EqualFold(host, "localhost") {
		host = DefaultHost
	}
	if len(port) == 0 {
		port = DefaultPort
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

// CheckRunning returns a *MismatchError if a reporter runs with another
// client ID or address, and nil otherwise.
func CheckRunning(clientID, url string) error {
	mu.Lock()
	defer mu.Unlock()
	return checkRunningLocked(clientID, url)
}

func checkRunningLocked(clientID, url string) error {
	switch {
	case running == nil:
		return nil
	case running.clientID != clientID:
		return &MismatchError{What: "client ID", Running: running.clientID, Asked: clientID}
	case running.url != url:
		return &MismatchError{What: "address", Running: running.url, Asked: url}
	}
	return nil
}

// ResetForTest stops the process's reporter and forgets it, so that a test
// can start another with other settings. Unlike Shutdown, it discards what
// is queued.
func ResetForTest() {
	mu.Lock()
	rep := running
	running = nil
	mu.Unlock()
	if rep != nil {
		rep.close()
	}
}

// MismatchError says that the process's reporter already runs with another
// client ID or address.
type MismatchError struct {
	What    string // "client ID" or "address"
	Running string // the running reporter's
	Asked   string // the one asked for
}

// Error describes the mismatch.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("the running reporter has %s %q, not %q", e.What, e.Running, e.Asked)
}

// SetSendsTokenForTest makes rep act as if its agent were, or were not, on
// a loopback address. It is meant for tests.
func (rep *Reporter) SetSendsTokenForTest(send bool) { rep.sendToken.Store(send) }
