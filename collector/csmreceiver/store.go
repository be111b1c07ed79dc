package csmreceiver

import (
	"math"
	"sort"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/opencsm/csm-go/internal/ingest"
)

// seriesKey is the attribute set of a series. Every string in it is
// bounded: admitted by a NameSet, or otherValue.
type seriesKey struct {
	service, method, region, sdk, clientID string
	// status is http.response.status_code; 0 when there is none.
	status int
	// errorType is error.type; "" when there is none.
	errorType string
	// reused is csm.connection.reused: 1 true, 0 false, -1 absent.
	reused int8
	// other marks the series of the attribute sets past the bound.
	other bool
}

// series is the cumulative value of one series.
type series struct {
	count   uint64   // a counter's value, or a histogram's count
	sum     float64  // a histogram's sum
	min     float64  // a histogram's min
	max     float64  // a histogram's max
	buckets []uint64 // a histogram's bucket counts, len(latencyBuckets)+1
}

// observe adds a value, in seconds, to a histogram.
func (s *series) observe(v float64) {
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if s.count == 0 || v > s.max {
		s.max = v
	}
	s.count++
	s.sum += v
	s.buckets[sort.SearchFloat64s(latencyBuckets, v)]++
}

// store keeps the cumulative series of every metric of the model. Each
// metric holds at most maxSeries attribute sets, plus one: past the bound,
// an event is counted under the series whose attributes are all otherValue
// (the folds are counted). The names in attribute values are admitted per
// attribute by NameSets of the same bound. It is not safe for concurrent
// use.
type store struct {
	maxSeries int
	clientID  bool
	series    [numMetrics]map[seriesKey]*series

	services, methods, regions, sdks, clients, errors *ingest.NameSet

	// folded counts the events that some bound folded into otherValue.
	folded uint64
}

func newStore(maxSeries int, clientID bool) *store {
	s := &store{
		maxSeries: maxSeries,
		clientID:  clientID,
		services:  ingest.NewNameSet(maxSeries),
		methods:   ingest.NewNameSet(maxSeries),
		regions:   ingest.NewNameSet(maxSeries),
		sdks:      ingest.NewNameSet(maxSeries),
		clients:   ingest.NewNameSet(maxSeries),
		errors:    ingest.NewNameSet(maxSeries),
	}
	for i := range s.series {
		s.series[i] = make(map[seriesKey]*series)
	}
	return s
}

// admit returns n if set admits it, else otherValue, and notes the fold.
func admit(set *ingest.NameSet, n string, folded *bool) string {
	if set.Admit(n) {
		return n
	}
	*folded = true
	return otherValue
}

// add counts an event.
func (s *store) add(e *ingest.Event) {
	folded := false
	var op seriesKey
	op.reused = -1
	op.service = admit(s.services, ingest.Clip(e.Service), &folded)
	op.method = admit(s.methods, ingest.Clip(e.API), &folded)
	op.region = admit(s.regions, ingest.Clip(e.Region), &folded)
	op.sdk = admit(s.sdks, ingest.SDKName(e.UserAgent), &folded)
	if s.clientID {
		op.clientID = admit(s.clients, ingest.Clip(e.ClientID), &folded)
	}
	outcome := op
	code, exception := e.Status()
	if code >= 100 && code <= 599 {
		outcome.status = code
	}
	if exception != "" {
		outcome.errorType = admit(s.errors, ingest.Clip(exception), &folded)
	} else if code >= 400 {
		// A failure with no exception: its type is the status code, as
		// the semantic conventions say for HTTP clients.
		outcome.errorType = admit(s.errors, strconv.Itoa(code), &folded)
	}

	if e.Type == ingest.TypeAPICall {
		s.histogram(mCallDuration, outcome, e.Latency, &folded)
		if e.MaxRetriesExceeded != 0 {
			s.counter(mRetriesExhausted, op, &folded)
		}
	} else {
		s.counter(mCallAttempts, outcome, &folded)
		if e.Failed() {
			s.counter(mCallErrors, outcome, &folded)
		}
		s.histogram(mAttemptDuration, outcome, e.AttemptLatency, &folded)
		for _, p := range [...]struct {
			m metricID
			v *float64
		}{
			{mDNSLookup, e.DNSLatency},
			{mAcquireConnection, e.AcquireConnectionLatency},
			{mTLSHandshake, e.SSLLatency},
			{mTimeToFirstByte, e.RequestLatency},
			{mTCPConnect, e.TCPLatency},
			{mConnect, e.ConnectLatency},
		} {
			if p.v != nil {
				s.histogram(p.m, op, *p.v, &folded)
			}
		}
		if e.ConnectionReused != nil {
			c := op
			c.reused = 0
			if *e.ConnectionReused != 0 {
				c.reused = 1
			}
			s.counter(mConnectionReuse, c, &folded)
		}
	}
	if folded {
		s.folded++
	}
}

// get returns the series of metric m for k, or the metric's otherValue
// series when k is new and the metric is at its bound.
func (s *store) get(m metricID, k seriesKey, folded *bool) *series {
	ss := s.series[m]
	if v, ok := ss[k]; ok {
		return v
	}
	if len(ss) >= s.maxSeries {
		*folded = true
		k = seriesKey{other: true, reused: -1}
		if v, ok := ss[k]; ok {
			return v
		}
	}
	v := &series{}
	if metrics[m].kind == kindHistogram {
		v.buckets = make([]uint64, len(latencyBuckets)+1)
	}
	ss[k] = v
	return v
}

func (s *store) counter(m metricID, k seriesKey, folded *bool) {
	s.get(m, k, folded).count++
}

// histogram observes a latency in milliseconds. A value that is not a
// finite number of at least 0 counts as 0.
func (s *store) histogram(m metricID, k seriesKey, ms float64, folded *bool) {
	v := ms / 1000
	if !(v >= 0) || math.IsInf(v, 0) {
		v = 0
	}
	s.get(m, k, folded).observe(v)
}

// seriesCount returns how many series the store holds.
func (s *store) seriesCount() int {
	n := 0
	for _, ss := range s.series {
		n += len(ss)
	}
	return n
}

// appendTo appends every metric with at least one series to ms, as
// cumulative data points from start to now, and returns the number of
// data points.
func (s *store) appendTo(ms pmetric.MetricSlice, start, now time.Time) int {
	st, ts := pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(now)
	points := 0
	for m := metricID(0); m < numMetrics; m++ {
		ss := s.series[m]
		if len(ss) == 0 {
			continue
		}
		def := &metrics[m]
		out := ms.AppendEmpty()
		out.SetName(def.name)
		out.SetUnit(def.unit)
		out.SetDescription(def.description)
		keys := make([]seriesKey, 0, len(ss))
		for k := range ss {
			keys = append(keys, k)
		}
		sortKeys(keys)
		switch def.kind {
		case kindCounter:
			sum := out.SetEmptySum()
			sum.SetIsMonotonic(true)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			dps := sum.DataPoints()
			dps.EnsureCapacity(len(keys))
			for _, k := range keys {
				dp := dps.AppendEmpty()
				dp.SetStartTimestamp(st)
				dp.SetTimestamp(ts)
				dp.SetIntValue(int64(ss[k].count))
				putAttributes(dp.Attributes(), k, def.attrs, s.clientID)
			}
		case kindHistogram:
			h := out.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			dps := h.DataPoints()
			dps.EnsureCapacity(len(keys))
			for _, k := range keys {
				v := ss[k]
				dp := dps.AppendEmpty()
				dp.SetStartTimestamp(st)
				dp.SetTimestamp(ts)
				dp.SetCount(v.count)
				dp.SetSum(v.sum)
				if v.count > 0 {
					dp.SetMin(v.min)
					dp.SetMax(v.max)
				}
				dp.ExplicitBounds().FromRaw(latencyBuckets)
				dp.BucketCounts().FromRaw(v.buckets)
				putAttributes(dp.Attributes(), k, def.attrs, s.clientID)
			}
		}
		points += len(keys)
	}
	return points
}

// putAttributes writes the attributes of k that the metric's attribute set
// holds.
func putAttributes(a pcommon.Map, k seriesKey, set attrSet, clientID bool) {
	a.PutStr(attrRPCSystem, rpcSystem)
	if k.other {
		// Every attribute of the set, folded.
		a.PutStr(attrRPCService, otherValue)
		a.PutStr(attrRPCMethod, otherValue)
		a.PutStr(attrCloudRegion, otherValue)
		a.PutStr(attrUserAgentName, otherValue)
		if clientID {
			a.PutStr(attrClientID, otherValue)
		}
		switch set {
		case attrsOutcome:
			a.PutStr(attrStatusCode, otherValue)
			a.PutStr(attrErrorType, otherValue)
		case attrsConnection:
			a.PutStr(attrConnectionReus, otherValue)
		}
		return
	}
	a.PutStr(attrRPCService, k.service)
	a.PutStr(attrRPCMethod, k.method)
	if k.region != "" {
		a.PutStr(attrCloudRegion, k.region)
	}
	if k.sdk != "" {
		a.PutStr(attrUserAgentName, k.sdk)
	}
	if clientID && k.clientID != "" {
		a.PutStr(attrClientID, k.clientID)
	}
	switch set {
	case attrsOutcome:
		if k.status != 0 {
			a.PutInt(attrStatusCode, int64(k.status))
		}
		if k.errorType != "" {
			a.PutStr(attrErrorType, k.errorType)
		}
	case attrsConnection:
		a.PutBool(attrConnectionReus, k.reused == 1)
	}
}

// sortKeys orders keys so that the output is the same from one interval
// to the next.
func sortKeys(keys []seriesKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.other != b.other:
			return b.other
		case a.service != b.service:
			return a.service < b.service
		case a.method != b.method:
			return a.method < b.method
		case a.region != b.region:
			return a.region < b.region
		case a.sdk != b.sdk:
			return a.sdk < b.sdk
		case a.clientID != b.clientID:
			return a.clientID < b.clientID
		case a.status != b.status:
			return a.status < b.status
		case a.errorType != b.errorType:
			return a.errorType < b.errorType
		default:
			return a.reused < b.reused
		}
	})
}
