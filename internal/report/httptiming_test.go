package report

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// allTimed is every timingField.
const allTimed = hasConnectionReused | hasAcquireConnectionLatency | hasConnectLatency |
	hasRequestLatency | hasDNSLatency | hasTCPLatency | hasSSLLatency

// fakeConn is a connection with a remote address and nothing else.
type fakeConn struct {
	net.Conn
	remote net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.remote }

// fire calls the hooks net/http calls for an attempt, on a new TLS
// connection or on a reused one.
func fire(ctx context.Context, remote net.Addr, newConn bool) {
	trace := httptrace.ContextClientTrace(ctx)
	trace.GetConn("example.com:443")
	if newConn {
		trace.DNSStart(httptrace.DNSStartInfo{Host: "example.com"})
		trace.ConnectStart("tcp", "192.0.2.1:443")
		trace.ConnectDone("tcp", "192.0.2.1:443", nil)
		trace.TLSHandshakeStart()
		trace.TLSHandshakeDone(tls.ConnectionState{}, nil)
	}
	trace.GotConn(httptrace.GotConnInfo{Conn: fakeConn{remote: remote}, Reused: !newConn})
}

func TestAttemptTraceFill(t *testing.T) {
	v4 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 443}
	v6 := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443}
	cases := []struct {
		name      string
		remote    net.Addr
		newConn   bool
		responded bool
		timed     timingField
		ip        string
	}{
		{"new connection", v4, true, true, allTimed, "192.0.2.1"},
		{"reused connection", v6, false, true, hasConnectionReused | hasAcquireConnectionLatency | hasRequestLatency, "2001:db8::1"},
		{"no response", v4, true, false, allTimed &^ hasRequestLatency, "192.0.2.1"},
		{"not TCP", &net.UnixAddr{Name: "/tmp/s", Net: "unix"}, false, true, hasConnectionReused | hasAcquireConnectionLatency | hasRequestLatency, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, trace := TraceAttempt(context.Background())
			fire(ctx, tc.remote, tc.newConn)
			if tc.responded {
				trace.Responded()
			}
			var m Metric
			trace.Fill(&m)
			assert.Equal(t, tc.timed, m.timed)
			assert.Equal(t, !tc.newConn, m.connectionReused)
			if tc.ip == "" {
				assert.False(t, m.destinationIP.IsValid())
			} else {
				assert.Equal(t, netip.MustParseAddr(tc.ip), m.destinationIP)
			}
		})
	}
}

func TestAttemptTraceWithoutConnection(t *testing.T) {
	ctx, trace := TraceAttempt(context.Background())
	httptrace.ContextClientTrace(ctx).GetConn("example.com:443")
	trace.Responded()
	var m Metric
	trace.Fill(&m)
	assert.Equal(t, Metric{}, m, "an attempt that got no connection has no timing")
	(*AttemptTrace)(nil).Fill(&m)
	(*AttemptTrace)(nil).Responded()
	assert.Equal(t, Metric{}, m)
}

func TestAttemptTraceContext(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "value")
	ctx, trace := TraceAttempt(parent)
	assert.Equal(t, "value", ctx.Value(key{}), "the parent's values")
	assert.Same(t, trace, AttemptTraceFrom(ctx))
	assert.Nil(t, AttemptTraceFrom(parent))
	assert.Equal(t, parent, withoutAttemptTrace(ctx), "the trace taken off")
	derived := context.WithValue(ctx, key{}, "other")
	assert.Equal(t, derived, withoutAttemptTrace(derived), "a context derived from the trace's is kept")
	assert.Equal(t, parent, withoutAttemptTrace(parent))
	again, next := TraceAttempt(ctx)
	assert.Same(t, next, AttemptTraceFrom(again))
	assert.Equal(t, parent, withoutAttemptTrace(again), "the next attempt's trace replaces the previous one's")

	// A trace already in the context keeps its hooks.
	var theirs int
	parent = httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { theirs++ },
	})
	ctx, trace = TraceAttempt(parent)
	fire(ctx, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1)}, true)
	require.Equal(t, 1, theirs)
	var m Metric
	trace.Fill(&m)
	assert.Equal(t, allTimed&^hasRequestLatency, m.timed)
}

// BenchmarkAttemptTrace measures what timing adds to an attempt: the trace
// made and attached, net/http's hooks called as for an attempt on a new TLS
// connection or on a reused one, and the fields filled.
func BenchmarkAttemptTrace(b *testing.B) {
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 443}
	for _, newConn := range []bool{true, false} {
		name := "conn=reused"
		if newConn {
			name = "conn=new"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var m Metric
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tctx, trace := TraceAttempt(ctx)
				fire(tctx, remote, newConn)
				trace.Responded()
				trace.Fill(&m)
			}
		})
	}
}

// TestHTTPTimingSwitch: the switch is the reporter's, off when it starts;
// a nil reporter's is off and ignores SetHTTPTiming.
func TestHTTPTimingSwitch(t *testing.T) {
	agent := reporttest.NewAgent(t)
	rep, err := newReporter("c", agent.Addr(), 64)
	require.NoError(t, err)
	defer rep.close()
	assert.False(t, rep.HTTPTiming())
	rep.SetHTTPTiming(true)
	assert.True(t, rep.HTTPTiming())
	rep.SetHTTPTiming(false)
	assert.False(t, rep.HTTPTiming())

	var none *Reporter
	none.SetHTTPTiming(true)
	assert.False(t, none.HTTPTiming())
}

// TestAttemptTraceIsNoContext: the trace is found in the context
// TraceAttempt returns, which keeps its parent's values, but is not a
// context itself.
func TestAttemptTraceIsNoContext(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "v")
	ctx, trace := TraceAttempt(parent)
	assert.Same(t, trace, AttemptTraceFrom(ctx))
	assert.Equal(t, "v", ctx.Value(key{}))
	assert.Equal(t, parent, withoutAttemptTrace(ctx))
	_, isContext := any(trace).(context.Context)
	assert.False(t, isContext)
}
