package report

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"net/http/httptrace"
	"net/netip"
	"sync/atomic"
	"time"
)

// SetHTTPTiming turns the HTTP timing fields of ApiCallAttempt metrics on or
// off for the SDK handlers and middleware that the integrations add from
// then on (csm.Reporter.InjectHandlers, csmv2.Reporter.AddMiddleware). It
// is off when the reporter starts. The switch is the reporter's, so it is
// shared by the aws-sdk-go and aws-sdk-go-v2 integrations, as Pause is.
func (rep *Reporter) SetHTTPTiming(on bool) {
	if rep != nil {
		rep.httpTiming.Store(on)
	}
}

// HTTPTiming reports whether the handlers and middleware added from now on
// time the attempts (see SetHTTPTiming).
func (rep *Reporter) HTTPTiming() bool {
	return rep != nil && rep.httpTiming.Load()
}

// AttemptTrace measures the HTTP phases of one attempt (one round trip of
// an API call) from net/http's httptrace hooks, for the HTTP timing fields
// of its ApiCallAttempt metric. docs/http-timing.md says which events start
// and end each field.
//
// An AttemptTrace belongs to one attempt and is never reused: a dial that
// net/http started for the attempt goes on after the attempt has ended and
// calls its hooks late, and those writes must land in this trace, not in
// another attempt's. Every field is an atomic value for the same reason.
//
// An AttemptTrace holds the context it is found in (see traceContext), so
// that the attempt's context costs no allocation of its own.
type AttemptTrace struct {
	ctx      traceContext
	trace    httptrace.ClientTrace
	attached context.Context // the context TraceAttempt returned
	base     time.Time       // when the trace was made; times are offsets from it

	// Nanoseconds since base, plus one so that 0 means "not yet". The
	// connection's phases are those of the latest GetConn: net/http
	// takes another connection when a reused one fails before the
	// request was sent.
	getConn      atomic.Int64
	dnsStart     atomic.Int64
	connectStart atomic.Int64 // the first address tried
	connectDone  atomic.Int64 // the first address connected
	tlsStart     atomic.Int64
	tlsDone      atomic.Int64
	gotConn      atomic.Int64
	responded    atomic.Int64
	reused       atomic.Bool

	// The connection's remote IP address: its 16 bytes, and its length
	// (4 or 16; 0 for none), stored last.
	ipHigh, ipLow atomic.Uint64
	ipLen         atomic.Uint32
}

// attemptTraceKey is the context key under which an AttemptTrace finds
// itself.
type attemptTraceKey struct{}

// traceContext is the context TraceAttempt derives the attempt's from: its
// parent's deadline and values, and the trace under attemptTraceKey. It is
// part of its AttemptTrace, which is allocated once for both.
type traceContext struct {
	context.Context // the parent, the context TraceAttempt was given
	t               *AttemptTrace
}

// Value returns the trace for its own key, and the parent's values
// otherwise.
func (c *traceContext) Value(key any) any {
	if key == (attemptTraceKey{}) {
		return c.t
	}
	return c.Context.Value(key)
}

// TraceAttempt returns a context derived from ctx in which net/http reports
// the attempt's connection to a new AttemptTrace, and that trace. A
// ClientTrace already in ctx (a user's, a tracer's) keeps receiving its
// events: net/http calls both.
//
// The returned context is the one the attempt's request must be sent with.
//
// When ctx is the context an earlier TraceAttempt returned (aws-sdk-go
// keeps an attempt's request context for the next attempt), the new trace
// is derived from that one's parent instead, so that it does not carry the
// previous trace along. A context derived from TraceAttempt's by someone
// else is kept whole, with their values and traces (the old trace's hooks
// then still run, into the old trace, which is no longer read).
func TraceAttempt(ctx context.Context) (context.Context, *AttemptTrace) {
	ctx = withoutAttemptTrace(ctx)
	t := &AttemptTrace{base: time.Now()}
	t.ctx = traceContext{Context: ctx, t: t}
	t.trace = httptrace.ClientTrace{
		GetConn:           t.onGetConn,
		DNSStart:          t.onDNSStart,
		ConnectStart:      t.onConnectStart,
		ConnectDone:       t.onConnectDone,
		TLSHandshakeStart: t.onTLSHandshakeStart,
		TLSHandshakeDone:  t.onTLSHandshakeDone,
		GotConn:           t.onGotConn,
	}
	t.attached = httptrace.WithClientTrace(&t.ctx, &t.trace)
	return t.attached, t
}

// AttemptTraceFrom returns the AttemptTrace that ctx carries, or nil.
func AttemptTraceFrom(ctx context.Context) *AttemptTrace {
	t, _ := ctx.Value(attemptTraceKey{}).(*AttemptTrace)
	return t
}

// withoutAttemptTrace returns the context that the context returned by
// TraceAttempt was derived from, when ctx is that context, and ctx
// otherwise.
func withoutAttemptTrace(ctx context.Context) context.Context {
	if t := AttemptTraceFrom(ctx); t != nil && t.attached == ctx {
		return t.ctx.Context
	}
	return ctx
}

// now returns the time since the trace was made, plus one nanosecond.
func (t *AttemptTrace) now() int64 {
	return int64(time.Since(t.base)) + 1
}

// onGetConn starts the acquisition of a connection. A second GetConn in
// one attempt is net/http's retry on another connection: the first
// connection's phases are forgotten.
func (t *AttemptTrace) onGetConn(string) {
	if t.getConn.Load() != 0 {
		t.gotConn.Store(0)
		t.dnsStart.Store(0)
		t.connectStart.Store(0)
		t.connectDone.Store(0)
		t.tlsStart.Store(0)
		t.tlsDone.Store(0)
		t.reused.Store(false)
		t.ipLen.Store(0)
	}
	t.getConn.Store(t.now())
}

// dialing reports whether the attempt still waits for its connection: the
// hooks of a dial that goes on after it (the attempt took an idle
// connection that came back first) are ignored.
func (t *AttemptTrace) dialing() bool {
	return t.getConn.Load() != 0 && t.gotConn.Load() == 0
}

func (t *AttemptTrace) onDNSStart(httptrace.DNSStartInfo) {
	if t.dialing() {
		t.dnsStart.CompareAndSwap(0, t.now())
	}
}

func (t *AttemptTrace) onConnectStart(string, string) {
	if t.dialing() {
		t.connectStart.CompareAndSwap(0, t.now())
	}
}

func (t *AttemptTrace) onConnectDone(_, _ string, err error) {
	if err == nil && t.dialing() {
		t.connectDone.CompareAndSwap(0, t.now())
	}
}

func (t *AttemptTrace) onTLSHandshakeStart() {
	if t.dialing() {
		t.tlsStart.CompareAndSwap(0, t.now())
	}
}

func (t *AttemptTrace) onTLSHandshakeDone(_ tls.ConnectionState, err error) {
	if err == nil && t.dialing() {
		t.tlsDone.CompareAndSwap(0, t.now())
	}
}

func (t *AttemptTrace) onGotConn(info httptrace.GotConnInfo) {
	t.reused.Store(info.Reused)
	if info.Conn != nil {
		if a, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
			t.setIP(a.IP)
		}
	}
	t.gotConn.Store(t.now())
}

func (t *AttemptTrace) setIP(ip net.IP) {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return
	}
	addr = addr.Unmap()
	a := addr.As16()
	t.ipHigh.Store(binary.BigEndian.Uint64(a[:8]))
	t.ipLow.Store(binary.BigEndian.Uint64(a[8:]))
	if addr.Is4() {
		t.ipLen.Store(4)
	} else {
		t.ipLen.Store(16)
	}
}

// Responded marks the end of the round trip: the transport returned the
// response's status line and headers. The SDK integrations call it where
// their HTTP client returns; net/http has no hook for it (its first
// response byte may be that of a "100 Continue").
func (t *AttemptTrace) Responded() {
	if t != nil && t.gotConn.Load() != 0 {
		t.responded.CompareAndSwap(0, t.now())
	}
}

// Fill sets the HTTP timing fields of m, an ApiCallAttempt metric, from what
// the trace measured, and the bits of timed for those it sets. It sets none
// when the attempt got no connection. A nil trace sets nothing.
func (t *AttemptTrace) Fill(m *Metric) {
	if t == nil {
		return
	}
	getConn, gotConn := t.getConn.Load(), t.gotConn.Load()
	if getConn == 0 || gotConn < getConn {
		return
	}
	m.timed |= hasConnectionReused | hasAcquireConnectionLatency
	m.connectionReused = t.reused.Load()
	m.acquireConnectionLatency = millis(gotConn - getConn)
	if n := t.ipLen.Load(); n != 0 {
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], t.ipHigh.Load())
		binary.BigEndian.PutUint64(a[8:], t.ipLow.Load())
		m.destinationIP = netip.AddrFrom16(a)
		if n == 4 {
			m.destinationIP = m.destinationIP.Unmap()
		}
	}
	if responded := t.responded.Load(); responded >= gotConn {
		m.timed |= hasRequestLatency
		m.requestLatency = millis(responded - gotConn)
	}
	if m.connectionReused {
		return
	}
	// The dial's phases count only when this attempt's dial made the
	// connection it got: the connection was ready before GotConn.
	dnsStart, connectStart, connectDone := t.dnsStart.Load(), t.connectStart.Load(), t.connectDone.Load()
	tlsStart, tlsDone := t.tlsStart.Load(), t.tlsDone.Load()
	ready := connectDone
	if tlsStart != 0 {
		ready = tlsDone
	}
	if ready == 0 || ready > gotConn {
		return
	}
	if dnsStart != 0 && connectStart >= dnsStart {
		m.timed |= hasDNSLatency
		m.dnsLatency = millis(connectStart - dnsStart)
	}
	if connectStart != 0 && connectDone >= connectStart {
		m.timed |= hasTCPLatency
		m.tcpLatency = millis(connectDone - connectStart)
	}
	if tlsStart != 0 && tlsDone >= tlsStart {
		m.timed |= hasSSLLatency
		m.sslLatency = millis(tlsDone - tlsStart)
	}
	start := connectStart
	if dnsStart != 0 {
		start = dnsStart
	}
	if start != 0 && ready >= start {
		m.timed |= hasConnectLatency
		m.connectLatency = millis(ready - start)
	}
}

// millis converts nanoseconds to whole milliseconds, as the other latencies
// are.
func millis(ns int64) int64 {
	return ns / int64(time.Millisecond)
}
