package main

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// agent counts the datagrams that reach a UDP socket on 127.0.0.1, reading
// them in batches so that the agent is not what limits a trial.
type agent struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn

	mu     sync.Mutex
	count  int
	synced string
	done   chan struct{}
}

const syncPrefix = "loadtest-sync-"

func newAgent() (*agent, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	// As large as the kernel allows (net.core.rmem_max).
	_ = conn.SetReadBuffer(64 << 20)
	a := &agent{conn: conn, pc: ipv4.NewPacketConn(conn), done: make(chan struct{})}
	go a.read()
	return a, nil
}

func (a *agent) addr() string { return a.conn.LocalAddr().String() }

func (a *agent) read() {
	defer close(a.done)
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 65535)}
	}
	for {
		n, err := a.pc.ReadBatch(msgs, 0)
		if err != nil {
			return
		}
		a.mu.Lock()
		for _, m := range msgs[:n] {
			if p := m.Buffers[0][:m.N]; bytes.HasPrefix(p, []byte(syncPrefix)) {
				a.synced = string(p)
			} else {
				a.count++
			}
		}
		a.mu.Unlock()
	}
}

// sync returns the count once every datagram sent before the call has been
// read: it sends a marker behind them and waits for it.
func (a *agent) sync() (int, error) {
	conn, err := net.Dial("udp", a.addr())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	marker := syncPrefix + strconv.FormatInt(time.Now().UnixNano(), 10)
	if _, err := conn.Write([]byte(marker)); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		synced, count := a.synced, a.count
		a.mu.Unlock()
		if synced == marker {
			return count, nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("the agent never read its sync marker")
}

func (a *agent) close() {
	_ = a.conn.Close()
	<-a.done
}
