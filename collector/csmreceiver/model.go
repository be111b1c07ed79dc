package csmreceiver

// The metrics the receiver makes. The names, units and descriptions of
// those aws-sdk-go-v2 and smithy-go also make are theirs, so that one
// dashboard serves a program's native metrics and every CSM sender's; what
// they have no metric for is under the prefix "csm.". docs/collector.md
// has the table.

// metricKind is how a metric aggregates.
type metricKind int

const (
	kindCounter   metricKind = iota // a monotonic cumulative sum
	kindHistogram                   // a cumulative explicit-bucket histogram, in seconds
)

// attrSet is which attributes a metric's series carry.
type attrSet int

const (
	// attrsOutcome: the operation's attributes, http.response.status_code
	// and error.type.
	attrsOutcome attrSet = iota
	// attrsOperation: the operation's attributes only (rpc.system,
	// rpc.service, rpc.method, cloud.region, user_agent.name and, when
	// configured, csm.client_id).
	attrsOperation
	// attrsConnection: the operation's attributes and csm.connection.reused.
	attrsConnection
)

// metricID names a metric of the model; it indexes metrics.
type metricID int

const (
	mCallDuration metricID = iota
	mCallAttempts
	mCallErrors
	mAttemptDuration
	mDNSLookup
	mAcquireConnection
	mTLSHandshake
	mTimeToFirstByte
	mTCPConnect
	mConnect
	mConnectionReuse
	mRetriesExhausted
	numMetrics
)

// metricDef describes a metric of the model.
type metricDef struct {
	name, unit, description string
	kind                    metricKind
	attrs                   attrSet
}

// metrics is the model, indexed by metricID.
var metrics = [numMetrics]metricDef{
	mCallDuration: {
		name: "client.call.duration", unit: "s", kind: kindHistogram, attrs: attrsOutcome,
		description: "Overall call duration, retries included: the Latency of each ApiCall, with the final HTTP status code and error.",
	},
	mCallAttempts: {
		name: "client.call.attempts", unit: "{attempt}", kind: kindCounter, attrs: attrsOutcome,
		description: "The number of attempts for an individual operation: one per ApiCallAttempt.",
	},
	mCallErrors: {
		name: "client.call.errors", unit: "{error}", kind: kindCounter, attrs: attrsOutcome,
		description: "The number of errors for an operation: the ApiCallAttempts with an exception or an HTTP status code of 400 or more.",
	},
	mAttemptDuration: {
		name: "client.call.attempt_duration", unit: "s", kind: kindHistogram, attrs: attrsOutcome,
		description: "The duration of each attempt: the AttemptLatency of each ApiCallAttempt.",
	},
	mDNSLookup: {
		name: "client.http.connections.dns_lookup_duration", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "The time it takes a request to perform DNS lookup (DnsLatency).",
	},
	mAcquireConnection: {
		name: "client.http.connections.acquire_duration", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "The time it takes a request to acquire a connection (AcquireConnectionLatency).",
	},
	mTLSHandshake: {
		name: "client.http.connections.tls_handshake_duration", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "The time it takes an HTTP request to perform the TLS handshake (SslLatency).",
	},
	mTimeToFirstByte: {
		name: "client.http.time_to_first_byte", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "Time from having a connection to the response's status line and headers (RequestLatency).",
	},
	mTCPConnect: {
		name: "csm.client.http.connections.tcp_connect_duration", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "The time it takes to open the TCP connection, failed addresses included (TcpLatency).",
	},
	mConnect: {
		name: "csm.client.http.connections.connect_duration", unit: "s", kind: kindHistogram, attrs: attrsOperation,
		description: "The time it takes to make a new connection ready: DNS, TCP and TLS (ConnectLatency).",
	},
	mConnectionReuse: {
		name: "csm.client.http.connections.reused", unit: "{attempt}", kind: kindCounter, attrs: attrsConnection,
		description: "Attempts that got a connection, by whether it had served a request before (ConnectionReused).",
	},
	mRetriesExhausted: {
		name: "csm.client.call.retries_exhausted", unit: "{call}", kind: kindCounter, attrs: attrsOperation,
		description: "Calls that failed on a retryable error with no retries left (MaxRetriesExceeded).",
	},
}

// latencyBuckets are the histograms' bucket bounds in seconds, csmtail's:
// CSM latencies are whole milliseconds, and calls such as large uploads
// can take minutes.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// The attribute keys.
const (
	attrRPCSystem      = "rpc.system"
	attrRPCService     = "rpc.service"
	attrRPCMethod      = "rpc.method"
	attrCloudRegion    = "cloud.region"
	attrStatusCode     = "http.response.status_code"
	attrErrorType      = "error.type"
	attrUserAgentName  = "user_agent.name"
	attrClientID       = "csm.client_id"
	attrConnectionReus = "csm.connection.reused"

	// rpcSystem is the value of rpc.system.
	rpcSystem = "aws-api"
	// otherValue stands for the values past a bound, as the semantic
	// conventions name it.
	otherValue = "_OTHER"
)
