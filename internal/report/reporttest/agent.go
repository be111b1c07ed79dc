// Package reporttest holds what the tests of CSM integrations share: a CSM
// agent on a loopback UDP socket that keeps what it receives, and a way to
// hide the machine's AWS settings from a test.
package reporttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// maxDatagram is the largest UDP payload; the agent reads whole datagrams so
// that a sender's oversized datagram shows up as a failing size check instead
// of being cut silently.
const maxDatagram = 65535

// waitLimit bounds how long a helper waits for datagrams that should already
// be in the socket buffer. It is a safety net against a hung test, not a
// measured duration: the helpers return as soon as the datagrams are there.
const waitLimit = 10 * time.Second

// Agent is a CSM agent for tests: a real UDP socket on 127.0.0.1 (or ::1)
// that keeps every datagram it receives.
type Agent struct {
	conn *net.UDPConn

	keep bool // whether datagrams are kept, or only counted

	mu       sync.Mutex
	count    int
	received [][]byte
	synced   string // the last sync marker read
	// arrived is closed and replaced on the next datagram after a waiter
	// asked for it (waiting); the agent allocates nothing per datagram
	// otherwise, which keeps it out of the benchmarks' figures.
	arrived chan struct{}
	waiting bool
	done    chan struct{}
}

// NewAgent starts an agent on a free port of 127.0.0.1. It is closed when the
// test ends.
func NewAgent(t testing.TB) *Agent {
	t.Helper()
	return NewAgentOn(t, "127.0.0.1:0")
}

// NewAgentOn starts an agent on the given loopback address ("[::1]:0", or a
// fixed port to restart an agent where an earlier one was).
func NewAgentOn(t testing.TB, addr string) *Agent {
	t.Helper()
	a, err := Listen(addr)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a
}

// Listen starts an agent on the given loopback address. The caller closes
// it; tests use NewAgent, which does.
func Listen(addr string) (*Agent, error) {
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	if !udpAddr.IP.IsLoopback() {
		return nil, fmt.Errorf("test agents listen on loopback only, not %s", addr)
	}
	conn, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, err
	}
	// A large receive buffer keeps bursts in tests from being dropped by the
	// kernel before the read loop gets to them.
	_ = conn.SetReadBuffer(8 << 20)

	a := &Agent{conn: conn, keep: true, arrived: make(chan struct{}), done: make(chan struct{})}
	go a.read()
	return a, nil
}

func (a *Agent) read() {
	defer close(a.done)
	buf := make([]byte, maxDatagram)
	for {
		n, err := a.conn.Read(buf)
		if err != nil {
			return
		}
		a.mu.Lock()
		switch {
		case bytes.HasPrefix(buf[:n], syncPrefix):
			a.synced = string(buf[:n])
		case a.keep:
			a.received = append(a.received, append([]byte(nil), buf[:n]...))
			a.count++
		default:
			a.count++
		}
		if a.waiting {
			close(a.arrived)
			a.arrived = make(chan struct{})
			a.waiting = false
		}
		a.mu.Unlock()
	}
}

// Close stops the agent and frees its port. It is safe to call more than once.
func (a *Agent) Close() {
	_ = a.conn.Close()
	<-a.done
}

// NewSink starts an agent on a free port of 127.0.0.1 that counts the
// datagrams it receives but does not keep them, for benchmarks and load
// tests. Len counts them; Raw and Events return nothing.
func NewSink(t testing.TB) *Agent {
	t.Helper()
	a := NewAgent(t)
	a.KeepDatagrams(false)
	return a
}

// DeafSocket opens a UDP socket on 127.0.0.1 that is never read, closed
// when the test ends, and returns its address: the kernel takes the
// datagrams sent to it and drops what overflows its buffer, so that a
// benchmark's reporters write as to an agent while no agent competes for the
// machine's cores.
func DeafSocket(t testing.TB) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn.LocalAddr().String()
}

// KeepDatagrams sets whether the agent keeps the datagrams it receives from
// now on, or only counts them.
func (a *Agent) KeepDatagrams(keep bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keep = keep
}

// Addr returns the agent's address, such as "127.0.0.1:43817".
func (a *Agent) Addr() string { return a.conn.LocalAddr().String() }

// Port returns the agent's port as a string, as AWS_CSM_PORT takes it.
func (a *Agent) Port() string {
	return strconv.Itoa(a.conn.LocalAddr().(*net.UDPAddr).Port)
}

// Raw returns a copy of every datagram received so far, in order.
func (a *Agent) Raw() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.received...)
}

// Len returns how many datagrams have been received so far (since the last
// Reset).
func (a *Agent) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}

// Events decodes every datagram received so far. Each must be one JSON object.
func (a *Agent) Events(t testing.TB) []map[string]any {
	t.Helper()
	raw := a.Raw()
	events := make([]map[string]any, 0, len(raw))
	for _, b := range raw {
		events = append(events, Decode(t, b))
	}
	return events
}

// Decode decodes one datagram as a JSON object, keeping numbers as
// json.Number so that integers stay exact.
func Decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m), "datagram is not a JSON object: %q", b)
	require.False(t, dec.More(), "datagram holds more than one JSON value: %q", b)
	return m
}

// syncPrefix starts the marker datagrams of Sync.
var syncPrefix = []byte("csm-testutil-sync-")

// Sync returns once every datagram that reached the agent's socket before the
// call has been read. It sends a marker datagram to the agent and waits for
// it: the socket's receive queue is first in, first out, so everything ahead
// of the marker has been read by then. Markers are neither kept nor counted.
func (a *Agent) Sync(t testing.TB) {
	t.Helper()
	conn, err := net.Dial("udp", a.Addr())
	require.NoError(t, err)
	defer conn.Close()

	marker := string(syncPrefix) + strconv.FormatInt(time.Now().UnixNano(), 10)
	_, err = conn.Write([]byte(marker))
	require.NoError(t, err)

	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		synced, arrived := a.synced, a.arrived
		a.waiting = true
		a.mu.Unlock()
		if synced == marker {
			return
		}
		select {
		case <-arrived:
		case <-deadline.C:
			require.FailNow(t, "agent did not receive its sync marker")
		}
	}
}

// KernelDrops returns how many datagrams the kernel dropped because the
// agent's receive buffer was full, as /proc/net/udp tells on Linux; false
// where that cannot be read.
func (a *Agent) KernelDrops() (int, bool) {
	addr := a.conn.LocalAddr().(*net.UDPAddr)
	table := "/proc/net/udp"
	if addr.IP.To4() == nil {
		table = "/proc/net/udp6"
	}
	data, err := os.ReadFile(table)
	if err != nil {
		return 0, false
	}
	port := fmt.Sprintf(":%04X", addr.Port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		fields := strings.Fields(line)
		// sl local_address rem_address st ... inode ref pointer drops
		if len(fields) < 13 || !strings.HasSuffix(fields[1], port) {
			continue
		}
		drops, err := strconv.Atoi(fields[len(fields)-1])
		return drops, err == nil
	}
	return 0, false
}

// Reset forgets every datagram received so far.
func (a *Agent) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.received = nil
	a.count = 0
}
