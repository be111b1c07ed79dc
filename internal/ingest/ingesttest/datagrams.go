// Package ingesttest holds what the tests of every CSM receiver share: the
// datagrams a receiver must take or refuse, each with what it holds, so that
// the parser (package ingest), csmtail and the Collector's csm receiver are
// tested against the same shapes.
package ingesttest

import "strings"

// CallJSON and AttemptJSON are typical ApiCall and ApiCallAttempt objects,
// as a CSM sender writes them; the attempt carries an access key, a session
// token and the HTTP timing fields.
const (
	CallJSON    = `{"ClientId":"app","Api":"GetItem","Service":"DynamoDB","Timestamp":1700000000000,"Type":"ApiCall","Version":1,"AttemptCount":1,"Latency":12,"FinalHttpStatusCode":200,"MaxRetriesExceeded":0,"Region":"us-west-2","UserAgent":"aws-sdk-go/1.55.8 (go1.24; linux; amd64)"}`
	AttemptJSON = `{"ClientId":"app","Api":"GetItem","Service":"DynamoDB","Timestamp":1700000000000,"Type":"ApiCallAttempt","Version":1,"AttemptLatency":11,"HttpStatusCode":200,"AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"FwoGZXIvYXdzEXAMPLETOKEN","Fqdn":"dynamodb.us-west-2.amazonaws.com","ConnectionReused":0,"DnsLatency":1.5,"TcpLatency":2,"SslLatency":3,"AcquireConnectionLatency":7,"ConnectLatency":6,"RequestLatency":4,"DestinationIp":"10.0.0.1","XAmzRequestId":"R1"}`
)

// Datagram is one datagram and what a receiver must make of it.
type Datagram struct {
	Name string
	Data string
	// Calls and Attempts are the ApiCall and ApiCallAttempt events it holds.
	Calls, Attempts int
	// Bad is why it is bad (the value of an ingest.BadReason), or empty.
	Bad string
}

// Datagrams returns datagrams of every shape: good ones in every layout a
// sender may write, and bad ones of each reason. A datagram may hold events
// and be bad too: its good events count, and so does the datagram as bad.
func Datagrams() []Datagram {
	return []Datagram{
		{Name: "object", Data: CallJSON, Calls: 1},
		{Name: "trailing newline", Data: CallJSON + "\n", Calls: 1},
		{Name: "white space around", Data: " \r\n\t" + CallJSON + " \r\n", Calls: 1},
		{Name: "array of objects", Data: "[" + AttemptJSON + ", " + CallJSON + "]", Calls: 1, Attempts: 1},
		{Name: "newline-separated objects", Data: AttemptJSON + "\n" + AttemptJSON + "\n" + CallJSON + "\n", Calls: 1, Attempts: 2},
		{Name: "objects back to back", Data: AttemptJSON + CallJSON, Calls: 1, Attempts: 1},
		{Name: "pretty-printed", Data: "{\n  \"Type\": \"ApiCall\",\n  \"Service\": \"S3\"\n}\n", Calls: 1},
		{Name: "unknown fields", Data: `{"Type":"ApiCall","Extra":{"a":[1,2,{"b":null}]},"More":null,"Latency":null}`, Calls: 1},
		{Name: "fractional latency", Data: `{"Type":"ApiCall","Latency":12.5}`, Calls: 1},
		{Name: "negative latency", Data: `{"Type":"ApiCall","Latency":-5}`, Calls: 1},
		{Name: "keys in any case", Data: `{"type":"ApiCall","SERVICE":"S3","aPi":"GetObject"}`, Calls: 1},
		{Name: "the Kelvin sign folds to k", Data: `{"Type":"ApiCall","AccessKey":"AKIAIOSFODNN7EXAMPLE","Access\u212aey":1}`, Bad: "wrong_type"},
		{Name: "escaped key", Data: `{"\u0054ype":"ApiCall"}`, Calls: 1},
		{Name: "escaped value", Data: `{"Type":"Api\u0043all"}`, Calls: 1},
		{Name: "the last of two keys wins", Data: `{"Type":"Nope","Type":"ApiCall"}`, Calls: 1},
		{Name: "null timing", Data: `{"Type":"ApiCallAttempt","DnsLatency":1,"DnsLatency":null}`, Attempts: 1},
		{Name: "empty", Data: "", Bad: "empty"},
		{Name: "white space", Data: " \n\t\r\n", Bad: "empty"},
		{Name: "empty array", Data: "[]", Bad: "empty"},
		{Name: "truncated JSON", Data: CallJSON[:40], Bad: "not_json"},
		{Name: "not JSON", Data: "hello, agent", Bad: "not_json"},
		{Name: "binary", Data: "\x00\xff\xfe\x01\x02", Bad: "not_json"},
		{Name: "garbage after an object", Data: CallJSON + " }", Calls: 1, Bad: "not_json"},
		{Name: "a syntax error undoes its array", Data: "[" + CallJSON + ",1,x]", Bad: "not_json"},
		{Name: "control character in a string", Data: "{\"Type\":\"ApiCall\",\"Service\":\"a\x01\"}", Bad: "not_json"},
		{Name: "string latency", Data: `{"Type":"ApiCall","Latency":"12"}`, Bad: "wrong_type"},
		{Name: "numeric service", Data: `{"Type":"ApiCall","Service":42}`, Bad: "wrong_type"},
		{Name: "numeric type", Data: `{"Type":1}`, Bad: "wrong_type"},
		{Name: "fractional attempt count", Data: `{"Type":"ApiCall","AttemptCount":1.5}`, Bad: "wrong_type"},
		{Name: "attempt count in exponent form", Data: `{"Type":"ApiCall","AttemptCount":1e2}`, Bad: "wrong_type"},
		{Name: "latency out of range", Data: `{"Type":"ApiCall","Latency":1e400}`, Bad: "wrong_type"},
		{Name: "timestamp out of range", Data: `{"Type":"ApiCall","Timestamp":9223372036854775808}`, Bad: "wrong_type"},
		{Name: "object session token", Data: `{"Type":"ApiCallAttempt","SessionToken":{"a":1}}`, Bad: "wrong_type"},
		{Name: "number", Data: "42", Bad: "wrong_type"},
		{Name: "string", Data: `"ApiCall"`, Bad: "wrong_type"},
		{Name: "null", Data: "null", Bad: "wrong_type"},
		{Name: "array with a number", Data: "[" + CallJSON + ",1]", Calls: 1, Bad: "wrong_type"},
		{Name: "no type", Data: `{"Service":"S3","Api":"GetObject"}`, Bad: "unknown_type"},
		{Name: "empty object", Data: `{}`, Bad: "unknown_type"},
		{Name: "unknown type", Data: `{"Type":"ApiCallSummary"}`, Bad: "unknown_type"},
		{Name: "type in lower case", Data: `{"Type":"apicall"}`, Bad: "unknown_type"},
		{Name: "a bad line among good ones", Data: CallJSON + "\n{\"Type\":\"Other\"}\n" + AttemptJSON, Calls: 1, Attempts: 1, Bad: "unknown_type"},
		{Name: "64 KiB datagram", Data: Sized(65507), Calls: 1}, // the largest UDP payload over IPv4
	}
}

// Sized returns an ApiCall datagram of exactly n bytes, padded with an
// unknown field.
func Sized(n int) string {
	const head = `{"Type":"ApiCall","Service":"S3","Api":"GetObject","Pad":"`
	const tail = `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}
