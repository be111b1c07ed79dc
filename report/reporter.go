package report

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
)

// Reporter queues the metrics of API calls and sends them to the CSM agent
// from a goroutine of its own. A process has at most one running, shared by
// the aws-sdk-go and aws-sdk-go-v2 integrations (see Start). Its methods are
// safe for concurrent use.
type Reporter struct {
	clientID string
	url      string
	// sendToken is whether attempts may carry the session token: only
	// when the agent is on a loopback address, so that a token never
	// crosses a network in clear text.
	sendToken bool

	conn   *net.UDPConn
	sender *sender
	paused atomic.Bool
	queue  *queue
	stats  counters
	stop   chan struct{}
	done   chan struct{}
}

// newReporter connects a UDP socket to url and starts the sender goroutine
// with a queue of capacity metrics.
func newReporter(clientID, url string, capacity int) (*Reporter, error) {
	raddr, err := resolveAgent(url)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("csm: cannot open a socket to the agent at %q: %w", url, err)
	}
	rep := &Reporter{
		clientID:  clientID,
		url:       url,
		sendToken: isLoopback(conn.RemoteAddr().(*net.UDPAddr).IP),
		conn:      conn,
		sender:    newSender(conn),
		queue:     newQueue(capacity),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go rep.run()
	return rep, nil
}

// resolveAgent resolves the agent's address.
func resolveAgent(url string) (*net.UDPAddr, error) {
	raddr, err := net.ResolveUDPAddr("udp", url)
	if err != nil {
		return nil, fmt.Errorf("csm: invalid agent address %q: %w", url, err)
	}
	if raddr.Port == 0 {
		return nil, fmt.Errorf("csm: invalid agent address %q: port 0", url)
	}
	return raddr, nil
}

// isLoopback reports whether ip, the address a reporter's socket is
// connected to, is on this host's loopback interface (127.0.0.0/8 or ::1).
// A socket dialed to "localhost" or to an empty host is connected to one.
func isLoopback(ip net.IP) bool {
	return ip.IsLoopback()
}

// ClientID returns the client ID the reporter puts in every metric.
func (rep *Reporter) ClientID() string { return rep.clientID }

// URL returns the agent's address as the reporter was started with it.
func (rep *Reporter) URL() string { return rep.url }

// SendsToken reports whether attempts may carry the session token, which
// they do only when the agent is on a loopback address.
func (rep *Reporter) SendsToken() bool { return rep.sendToken }

// run is the sender goroutine. It never waits to fill a batch: it takes
// what is queued, up to maxBatch metrics, encodes them, writes them with as
// few system calls as it can, and sleeps when the queue is empty. It alone
// touches the socket.
func (rep *Reporter) run() {
	defer close(rep.done)
	var (
		records   = make([][]byte, 0, maxBatch)
		datagrams = make([][]byte, 0, maxBatch)
		encoded   = make([]byte, 0, 64<<10)
		m         Metric
	)
	for rep.queue.wait(rep.stop) {
		for {
			select {
			case <-rep.stop:
				return
			default:
			}
			var next int
			records, next = rep.queue.peek(records[:0], maxBatch)
			if len(records) == 0 {
				break
			}
			datagrams, encoded = datagrams[:0], encoded[:0]
			for _, rec := range records {
				readRecord(rec, &m)
				start := len(encoded)
				encoded = encodeMetric(encoded, &m)
				datagrams = append(datagrams, encoded[start:])
			}
			m = Metric{} // holds no string of the ring past release

			sent, failed := rep.sender.send(datagrams)
			rep.stats.sent.Add(uint64(sent))
			rep.stats.writeErrors.Add(uint64(failed))
			rep.queue.release(len(records), next)
		}
	}
}

// Push queues m without waiting for room; the queue counts the outcome. It
// copies what it keeps, so m may be reused as soon as Push returns.
func (rep *Reporter) Push(m *Metric) {
	rep.queue.push(m)
}

// Enabled reports whether an integration should build a metric, and counts
// the metric as dropped when the reporter is paused.
func (rep *Reporter) Enabled() bool {
	if rep.paused.Load() {
		rep.stats.droppedPaused.Add(1)
		return false
	}
	return true
}

// close stops the sender goroutine and closes the socket. Metrics still
// queued are discarded, and later ones are dropped.
func (rep *Reporter) close() {
	rep.queue.close()
	close(rep.stop)
	<-rep.done
	_ = rep.conn.Close()
}

// Pause stops the reporter from producing metrics until Continue; the calls
// made meanwhile are counted in Stats.DroppedPaused. Metrics already queued
// are still sent.
func (rep *Reporter) Pause() { rep.paused.Store(true) }

// Continue resumes reporting after Pause.
func (rep *Reporter) Continue() { rep.paused.Store(false) }

// Stats returns a snapshot of the reporter's counters.
func (rep *Reporter) Stats() Stats {
	return rep.stats.snapshot(rep.queue)
}

// Flush waits until every metric queued before the call has been written to
// the agent's socket, or until ctx is done, in which case it returns
// ctx.Err().
func (rep *Reporter) Flush(ctx context.Context) error {
	return rep.queue.flush(ctx)
}
