package csm

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"net/netip"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go/aws/request"
)

// traceHandlerName names the handler that InjectHandlers puts first in the
// Send list (see traceAttempt).
const traceHandlerName = "awscsm.TraceAttempt"

// timingKey is the context key of an attempt's *attemptTiming.
type timingKey struct{}

// attemptTiming gathers the HTTP timing of one attempt through
// net/http/httptrace. Its hooks may run on goroutines of net/http's (a dial
// that goes on in the background after the request took another
// connection), so they take mu, and they do nothing once the attempt has
// been reported.
//
// Building a trace costs a dozen allocations (the hooks, the contexts
// httptrace makes), so attempts reuse them: an attemptTiming keeps its hooks
// and the traced context it made last, and goes back to timingPool after an
// attempt that left nothing running that could still call its hooks.
type attemptTiming struct {
	trace  httptrace.ClientTrace
	pooled bool            // from timingPool, and so returned to it
	base   context.Context // the request context ctx derives from
	ctx    context.Context // base with this timing and its trace on it

	mu sync.Mutex
	attemptEvents
}

// attemptEvents is what the hooks saw of one attempt.
type attemptEvents struct {
	reported bool

	// When each event happened, as monotonic time since epoch; 0 until it
	// happens.
	getConn, gotConn          time.Duration
	dnsStart, dnsDone         time.Duration
	connectStart, connectDone time.Duration
	tlsStart, tlsDone         time.Duration
	wroteRequest, firstByte   time.Duration
	reused                    bool
	remote                    netip.Addr
	connectOK, tlsOK          bool
	gotConnSeen               bool
	// Phases started and not yet ended: a dial may start several
	// connects, and the timing is safe to reuse only when each started
	// one has ended.
	dnsOpen, connectOpen, tlsOpen int
}

// epoch is the origin of attemptEvents' times. time.Since reads only the
// monotonic clock, which costs less than time.Now on every hook.
var epoch = time.Now()

// now returns the monotonic time since epoch, never 0.
func now() time.Duration { return time.Since(epoch) | 1 }

// timingPool holds attemptTimings whose hooks nothing will call any more.
var timingPool = sync.Pool{New: func() any {
	t := newAttemptTiming()
	t.pooled = true
	return t
}}

func newAttemptTiming() *attemptTiming {
	t := &attemptTiming{}
	t.trace = httptrace.ClientTrace{
		GetConn:              t.onGetConn,
		GotConn:              t.onGotConn,
		DNSStart:             t.onDNSStart,
		DNSDone:              t.onDNSDone,
		ConnectStart:         t.onConnectStart,
		ConnectDone:          t.onConnectDone,
		TLSHandshakeStart:    t.onTLSStart,
		TLSHandshakeDone:     t.onTLSDone,
		WroteRequest:         t.onWroteRequest,
		GotFirstResponseByte: t.onFirstByte,
	}
	return t
}

// traceAttempt runs before each attempt is sent. It puts a ClientTrace on
// the HTTP request's context, derived afresh from the request's own context
// so that retries do not stack traces. A ClientTrace already on that
// context keeps working: httptrace calls its hooks too.
func (rep *Reporter) traceAttempt(r *request.Request) {
	if rep.paused.Load() || r.HTTPRequest == nil {
		return
	}
	base := r.Context()
	var t *attemptTiming
	if httptrace.ContextClientTrace(base) != nil {
		// httptrace composes the caller's hooks into ours: such a
		// trace belongs to this context alone.
		t = newAttemptTiming()
	} else {
		t = timingPool.Get().(*attemptTiming)
		t.reset()
	}
	if t.base != base {
		t.base = base
		t.ctx = httptrace.WithClientTrace(context.WithValue(base, timingKey{}, t), &t.trace)
	}
	// In place, rather than r.HTTPRequest = r.HTTPRequest.WithContext:
	// the copy then stays on the stack. The request is not in use: the
	// SDK sends a fresh copy on each retry, and this runs before it sends.
	*r.HTTPRequest = *r.HTTPRequest.WithContext(t.ctx)
}

// reset readies a pooled timing for another attempt.
func (t *attemptTiming) reset() {
	t.mu.Lock()
	t.attemptEvents = attemptEvents{}
	t.mu.Unlock()
}

// mark sets *at to now, once: the first event of a kind counts. It adds
// open to *count (1 for a start, -1 for an end).
func (t *attemptTiming) mark(at *time.Duration, count *int, open int) {
	when := now()
	t.mu.Lock()
	if count != nil {
		*count += open
	}
	if !t.reported && *at == 0 {
		*at = when
	}
	t.mu.Unlock()
}

func (t *attemptTiming) onGetConn(string)                  { t.mark(&t.getConn, nil, 0) }
func (t *attemptTiming) onDNSStart(httptrace.DNSStartInfo) { t.mark(&t.dnsStart, &t.dnsOpen, 1) }
func (t *attemptTiming) onDNSDone(httptrace.DNSDoneInfo)   { t.mark(&t.dnsDone, &t.dnsOpen, -1) }
func (t *attemptTiming) onConnectStart(network, addr string) {
	t.mark(&t.connectStart, &t.connectOpen, 1)
}
func (t *attemptTiming) onTLSStart()                               { t.mark(&t.tlsStart, &t.tlsOpen, 1) }
func (t *attemptTiming) onWroteRequest(httptrace.WroteRequestInfo) { t.mark(&t.wroteRequest, nil, 0) }
func (t *attemptTiming) onFirstByte()                              { t.mark(&t.firstByte, nil, 0) }

func (t *attemptTiming) onGotConn(info httptrace.GotConnInfo) {
	when := now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reported || t.gotConnSeen {
		return
	}
	t.gotConn, t.gotConnSeen, t.reused = when, true, info.Reused
	if info.Conn != nil {
		if addr, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
			t.remote = addr.AddrPort().Addr().Unmap().WithZone("")
		}
	}
}

func (t *attemptTiming) onConnectDone(network, addr string, err error) {
	when := now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.connectOpen--
	// With several addresses the dialer may try more than one: the
	// connection that succeeded ends the phase, else the last failure.
	if t.reported || t.connectOK {
		return
	}
	t.connectDone, t.connectOK = when, err == nil
}

func (t *attemptTiming) onTLSDone(_ tls.ConnectionState, err error) {
	when := now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tlsOpen--
	if t.reported || t.tlsDone != 0 {
		return
	}
	t.tlsDone, t.tlsOK = when, err == nil
}

// report copies what the attempt measured into m, and stops the hooks.
//
// A reused connection has no DNS, TCP, TLS or connect latency: those fields
// are left out rather than sent as 0, even if a dial started for the
// attempt finished in the background. A phase is reported when both its
// start and its end were seen, so an attempt that failed before connecting
// carries only what it measured. ConnectLatency is the time from the start
// of the DNS lookup (or of the TCP connect, without one) to the end of the
// TLS handshake (or of the TCP connect, without TLS) of a new connection;
// RequestLatency is from the request written to the first response byte.
func (t *attemptTiming) report(m *metric) {
	t.mu.Lock()
	if t.reported {
		t.mu.Unlock()
		return
	}
	t.reported = true
	t.fill(m)
	// Reuse the timing only if nothing can call its hooks any more: either
	// no hook ran (a transport that does not trace, a request that failed
	// before asking for a connection), or a connection was had, the
	// request written, the response begun, and no lookup, connect or
	// handshake is still going on in the background.
	untouched := t.getConn == 0 && !t.gotConnSeen && t.wroteRequest == 0 && t.firstByte == 0
	done := t.gotConnSeen && t.wroteRequest != 0 && t.firstByte != 0
	reuse := t.pooled && (untouched || done) && t.dnsOpen == 0 && t.connectOpen == 0 && t.tlsOpen == 0
	t.mu.Unlock()
	if reuse {
		if t.base != context.Background() {
			// Keep no caller's context alive in the pool; calls without
			// a context of their own reuse the traced one as it is.
			t.base, t.ctx = nil, nil
		}
		timingPool.Put(t)
	}
}

// fill copies the measured fields into m. t.mu must be held.
func (t *attemptTiming) fill(m *metric) {
	if t.gotConnSeen {
		m.set(fieldConnectionReused, 0)
		m.connectionReused = t.reused
		m.destinationIP = t.remote
		if t.getConn != 0 {
			m.set(fieldAcquireConnectionLatency, t.gotConn-t.getConn)
		}
	}
	if t.wroteRequest != 0 && t.firstByte != 0 {
		m.set(fieldRequestLatency, t.firstByte-t.wroteRequest)
	}
	if t.reused {
		return
	}
	if t.dnsStart != 0 && t.dnsDone != 0 {
		m.set(fieldDNSLatency, t.dnsDone-t.dnsStart)
	}
	if t.connectStart != 0 && t.connectDone != 0 {
		m.set(fieldTCPLatency, t.connectDone-t.connectStart)
	}
	if t.tlsStart != 0 && t.tlsDone != 0 {
		m.set(fieldSSLLatency, t.tlsDone-t.tlsStart)
	}
	start := t.dnsStart
	if start == 0 {
		start = t.connectStart
	}
	var end time.Duration
	switch {
	case t.tlsOK:
		end = t.tlsDone
	case t.connectOK && t.tlsStart == 0:
		end = t.connectDone
	}
	if start != 0 && end != 0 {
		m.set(fieldConnectLatency, end-start)
	}
}

// timingOf returns the timing traceAttempt attached to r's attempt, or nil.
func timingOf(r *request.Request) *attemptTiming {
	if r.HTTPRequest == nil {
		return nil
	}
	t, _ := r.HTTPRequest.Context().Value(timingKey{}).(*attemptTiming)
	return t
}
