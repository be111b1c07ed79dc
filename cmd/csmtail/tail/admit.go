package tail

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opencsm/csm-go/internal/ingest"
)

// otherName stands for the names past a limit: their events are counted
// under it, and how many is counted too.
const otherName = "(other)"

// Limits on the distinct names admitted per dimension; past them a name is
// folded into otherName.
const (
	maxExceptionNames = 100
	maxClientNames    = 100
	maxRegionNames    = 50
	maxSDKNames       = 20
)

// dimension is a property of an event by which the live view splits rows.
type dimension int

// The dimensions, in the order the view shows them.
const (
	dimService dimension = iota
	dimAPI
	dimClient
	dimRegion
	dimSDK
	numDimensions
)

// dimensionNames are the names --by takes, and the view's column headers.
var dimensionNames = [numDimensions]string{"service", "api", "client", "region", "sdk"}

// parseDimensions reads --by: a comma-separated list of client, region and
// sdk (service and api always split rows).
func parseDimensions(s string) ([]dimension, error) {
	dims := []dimension{dimService, dimAPI}
	if s == "" {
		return dims, nil
	}
	seen := map[dimension]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(strings.ToLower(name))
		var d dimension
		switch name {
		case "client":
			d = dimClient
		case "region":
			d = dimRegion
		case "sdk":
			d = dimSDK
		case "service", "api":
			continue // always there
		default:
			return nil, fmt.Errorf("unknown dimension %q: use client, region or sdk, separated by commas", name)
		}
		if !seen[d] {
			seen[d] = true
			dims = append(dims, d)
		}
	}
	// The view's order, whatever the order given.
	for i := 1; i < len(dims); i++ {
		for j := i; j > 0 && dims[j] < dims[j-1]; j-- {
			dims[j], dims[j-1] = dims[j-1], dims[j]
		}
	}
	return dims, nil
}

// nameSet admits up to a limit of distinct names, folding the others
// into otherName. It is used by one goroutine.
type nameSet struct{ *ingest.NameSet }

// newNameSet returns an empty set that admits up to limit names.
func newNameSet(limit int) *nameSet { return &nameSet{ingest.NewNameSet(limit)} }

// admit returns name if it is known or there is room for it, else
// otherName and false.
func (s *nameSet) admit(name string) (string, bool) {
	if s.Admit(name) {
		return name, true
	}
	return otherName, false
}

// set admits up to a limit of distinct keys. It is used by one goroutine.
type set[K comparable] struct {
	limit int
	seen  map[K]struct{}
}

// newSet returns an empty set that admits up to limit keys.
func newSet[K comparable](limit int) *set[K] {
	return &set[K]{limit: limit, seen: make(map[K]struct{})}
}

// admit reports whether k is in the set, adding it if there is room.
func (s *set[K]) admit(k K) bool {
	if _, ok := s.seen[k]; ok {
		return true
	}
	if len(s.seen) >= s.limit {
		return false
	}
	s.seen[k] = struct{}{}
	return true
}

// outcomeKey names an outcome: a pair, a status code label and an
// exception.
type outcomeKey struct {
	pair            pairKey
	code, exception string
}

// clip cuts s to ingest.MaxNameLen bytes, between characters.
func clip(s string) string { return ingest.Clip(s) }

// rowKey names a row of the live view: the values of its dimensions, ""
// for the dimensions the view does not split by.
type rowKey [numDimensions]string

// pairKey names a Service/Api pair, the unit of the Prometheus metrics and
// of the HTTP timing view.
type pairKey struct {
	service, api string
}

// otherPair is the pair the events past the limits are counted under.
var otherPair = pairKey{otherName, otherName}

// admitted is where an event is counted: every name in it is bounded.
type admitted struct {
	row  rowKey
	pair pairKey
	// outcome is the pair, HTTP status code label and exception label of
	// the outcome counters; past --max-series combinations, all are
	// otherName (the code "other").
	outcome   pairKey
	code      string // codeLabel of the status code
	exception string // "" for none
	// folded tells that some name of the event was counted as otherName
	// because a limit was reached.
	folded bool
}

// admitter decides, before anything is counted, which names an event is
// counted under, so that the number of rows and series stays bounded
// whatever arrives. It is used by the receive loop alone.
type admitter struct {
	dims       []dimension
	maxSeries  int
	pairs      *set[pairKey]
	rows       *set[rowKey]
	outcomes   *set[outcomeKey]
	exceptions *nameSet
	values     [numDimensions]*nameSet // for client, region, sdk
	folded     uint64
}

// newAdmitter returns an admitter that splits rows by dims and admits at
// most maxSeries pairs, rows and outcome combinations.
func newAdmitter(dims []dimension, maxSeries int) *admitter {
	a := &admitter{
		dims:       dims,
		maxSeries:  maxSeries,
		pairs:      newSet[pairKey](maxSeries),
		rows:       newSet[rowKey](maxSeries),
		outcomes:   newSet[outcomeKey](maxSeries),
		exceptions: newNameSet(maxExceptionNames),
	}
	a.values[dimClient] = newNameSet(maxClientNames)
	a.values[dimRegion] = newNameSet(maxRegionNames)
	a.values[dimSDK] = newNameSet(maxSDKNames)
	return a
}

// admit returns the bounded names e is counted under.
func (a *admitter) admit(e *event) admitted {
	var ad admitted
	pair := pairKey{clip(e.Service), clip(e.API)}
	if !a.pairs.admit(pair) {
		pair = otherPair
		ad.folded = true
	}
	ad.pair = pair

	code, exception := e.Status()
	ad.code = codeLabel(code)
	if exception != "" {
		var ok bool
		if exception, ok = a.exceptions.admit(clip(exception)); !ok {
			ad.folded = true
		}
	}
	ad.exception = exception
	ad.outcome = pair
	if !a.outcomes.admit(outcomeKey{pair, ad.code, exception}) {
		ad.outcome, ad.code, ad.exception = otherPair, "other", otherName
		ad.folded = true
	}

	var k rowKey
	for _, d := range a.dims {
		var v string
		switch d {
		case dimService:
			v = pair.service
		case dimAPI:
			v = pair.api
		case dimClient:
			v = a.value(d, clip(e.ClientID), &ad)
		case dimRegion:
			v = a.value(d, clip(e.Region), &ad)
		case dimSDK:
			v = a.value(d, sdkName(e.UserAgent), &ad)
		}
		k[d] = v
	}
	if !a.rows.admit(k) {
		for _, d := range a.dims {
			k[d] = otherName
		}
		ad.folded = true
	}
	ad.row = k
	if ad.folded {
		a.folded++
	}
	return ad
}

// value admits the value v of dimension d.
func (a *admitter) value(d dimension, v string, ad *admitted) string {
	v, ok := a.values[d].admit(v)
	if !ok {
		ad.folded = true
	}
	return v
}

// sdkName returns the product/version token of a User-Agent:
// "aws-sdk-go/1.55.8" from "aws-sdk-go/1.55.8 (go1.24; linux; amd64)",
// clipped to 64 bytes.
func sdkName(ua string) string { return ingest.SDKToken(ua) }

// codeLabel returns an HTTP status code as a label value: "" for no
// response (0), "other" for a number that is not an HTTP status code.
func codeLabel(code int) string {
	switch {
	case code == 0:
		return ""
	case code < 100 || code > 599:
		return "other"
	default:
		return codeLabels[code-100]
	}
}

// codeLabels are the labels of the codes from 100 to 599, made once.
var codeLabels = func() []string {
	l := make([]string, 500)
	for i := range l {
		l[i] = strconv.Itoa(100 + i)
	}
	return l
}()

// statusClass returns the class of an HTTP status code for the live view:
// "5xx" for 503, "-" without a response.
func statusClass(code int) string {
	switch {
	case code == 0:
		return "-"
	case code < 100 || code > 599:
		return "other"
	default:
		return strconv.Itoa(code/100) + "xx"
	}
}
