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
// value of its own, none zero, set through reflection so that a field added
// to Metric is set too.
func everyField(t *testing.T, kind Kind) Metric {
	var m Metric
	v := reflect.ValueOf(&m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case name == "Kind":
			f.SetUint(uint64(kind))
		case name == "Timed":
			f.SetUint(uint64(hasConnectionReused | hasAcquireConnectionLatency | hasConnectLatency |
				hasRequestLatency | hasDNSLatency | hasTCPLatency | hasSSLLatency))
		case f.Type() == reflect.TypeOf(netip.Addr{}):
			f.Set(reflect.ValueOf(netip.MustParseAddr("192.0.2.7")))
		case f.Kind() == reflect.String:
			f.SetString("v" + name)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			f.SetInt(int64(1000 + i))
		default:
			require.Failf(t, "field of an unknown type", "Metric.%s is a %s: teach everyField and fields about it", name, f.Type())
		}
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
					value = want.DestinationIP.String()
				default:
					value = float64(nums[f.idx])
				}
				assert.Equal(t, value, decoded[name], name)
			}
		})
	}
}

// TestEveryFieldIsEncoded checks that changing any one field of Metric
// changes the datagram of at least one kind.
func TestEveryFieldIsEncoded(t *testing.T) {
	encode := func(m Metric) string { return string(throughRecord(&m)) }
	typ := reflect.TypeOf(Metric{})
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Name
		if name == "Kind" {
			continue // it picks the datagram's type
		}
		changed := false
		for _, kind := range []Kind{KindAPICallAttempt, KindAPICall} {
			base := everyField(t, kind)
			other := base
			f := reflect.ValueOf(&other).Elem().Field(i)
			f.Set(reflect.Zero(f.Type()))
			if encode(base) != encode(other) {
				changed = true
			}
		}
		assert.True(t, changed, "Metric.%s reaches no datagram", name)
	}
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
