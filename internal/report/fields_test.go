package report

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// throughRecord sends m the way the reporter does: into a record (which
// cuts its strings), out of it, and through the encoder. It leaves in m
// what was encoded.
func throughRecord(m *Metric) []byte {
	b := make([]byte, m.recordSize())
	m.putRecord(b)
	var got Metric
	readRecord(b, &got)
	out := encodeMetric(nil, &got)
	*m = got
	return out
}

// everyField returns a metric of kind with every field of Metric set to a
// value of its own, none zero. It sets them through the accessors the
// record and the encoder use (stringPtrs, setNumbers), and checks by
// reflection that no field of Metric is left out of them.
func everyField(t *testing.T, kind Kind) Metric {
	strs, _ := goFieldNames(t)
	var m Metric
	for i, p := range m.stringPtrs() {
		*p = "v" + strs[i]
	}
	var v [numNumbers]int64
	for i := range v {
		v[i] = int64(1000 + i)
	}
	v[nKind] = int64(kind)
	v[nMaxRetriesExceeded], v[nConnectionReused] = 1, 1
	v[nTimed] = int64(hasConnectionReused | hasAcquireConnectionLatency | hasConnectLatency |
		hasRequestLatency | hasDNSLatency | hasTCPLatency | hasSSLLatency)
	m.setNumbers(&v)
	m.destinationIP = netip.MustParseAddr("192.0.2.7")

	rv := reflect.ValueOf(m)
	for i := 0; i < rv.NumField(); i++ {
		require.False(t, rv.Field(i).IsZero(),
			"Metric.%s is set by no accessor: add it to fields.go and to everyField", rv.Type().Field(i).Name)
	}
	return m
}

// TestEveryFieldTravels sets every field of Metric and checks that each
// survives the record and reaches the datagram with its value: a field
// left out of the field table, or of its accessors, fails here.
func TestEveryFieldTravels(t *testing.T) {
	for _, kind := range []Kind{KindAPICallAttempt, KindAPICall} {
		t.Run(kind.String(), func(t *testing.T) {
			want := everyField(t, kind)
			m := want
			b := make([]byte, m.recordSize())
			m.putRecord(b)
			var got Metric
			readRecord(b, &got)
			assert.Equal(t, want, got, "the record round trip")

			var decoded map[string]any
			require.NoError(t, json.Unmarshal(encodeMetric(nil, &got), &decoded))
			named := 0
			for _, f := range fields {
				if (kind == KindAPICall && f.call != "") || (kind != KindAPICall && f.attempt != "") {
					named++
				}
			}
			assert.Len(t, decoded, named, "one JSON field per field of the table: %v", decoded)
			strs, nums := want.stringPtrs(), want.numbers()
			for _, f := range fields {
				name := f.attempt
				if kind == KindAPICall {
					name = f.call
				}
				if name == "" {
					assert.NotContains(t, decoded, f.attempt+f.call)
					continue
				}
				var value any
				switch f.enc {
				case encString, encStringAlways:
					value = *strs[f.idx]
				case encType:
					value = kind.String()
				case encVersion:
					value = 1.0
				case encAddr:
					value = want.destinationIP.String()
				default:
					value = float64(nums[f.idx])
				}
				assert.Equal(t, value, decoded[name], name)
			}
		})
	}
}

// TestEveryFieldIsEncoded checks that changing any one field of Metric
// changes the datagram of at least one kind. It zeroes the fields through
// the accessors; everyField checks that they reach every field.
func TestEveryFieldIsEncoded(t *testing.T) {
	encode := func(m Metric) string { return string(throughRecord(&m)) }
	strs, nums := goFieldNames(t)
	check := func(name string, zero func(m *Metric)) {
		changed := false
		for _, kind := range []Kind{KindAPICallAttempt, KindAPICall} {
			base := everyField(t, kind)
			other := base
			zero(&other)
			if encode(base) != encode(other) {
				changed = true
			}
		}
		assert.True(t, changed, "Metric.%s reaches no datagram", name)
	}
	for i, name := range strs {
		check(name, func(m *Metric) { *m.stringPtrs()[i] = "" })
	}
	for i, name := range nums {
		if i == nKind {
			continue // it picks the datagram's type
		}
		check(name, func(m *Metric) {
			v := m.numbers()
			v[i] = 0
			m.setNumbers(&v)
		})
	}
	check("destinationIP", func(m *Metric) { m.destinationIP = netip.Addr{} })
}

// TestStringLimits checks that every string field but the session token
// has a limit, so that a datagram's size is bounded.
func TestStringLimits(t *testing.T) {
	for i, limit := range stringLimits {
		if i == sSessionToken {
			assert.Zero(t, limit, "the session token is never cut")
			continue
		}
		assert.Positive(t, limit, "string field %d has no limit", i)
	}
}
