package ingest

// The two kinds of CSM event, the values of [Event.Type].
const (
	TypeAPICall        = "ApiCall"
	TypeAPICallAttempt = "ApiCallAttempt"
)

// Event is one CSM metric: an ApiCall or ApiCallAttempt object of a
// datagram. Its fields are the object's fields of the same JSON name (the
// name is in each field's comment where it differs); a field the object
// does not have, or has as null, is the zero value. The latencies are
// milliseconds; they are read as numbers of any kind, as some senders
// write fractions.
//
// An Event holds neither the AccessKey nor the SessionToken of its object:
// [Parse] checks their type and drops them.
type Event struct {
	Type      string // TypeAPICall or TypeAPICallAttempt
	Version   int
	ClientID  string // ClientId
	Service   string // the ServiceId
	API       string // Api
	Timestamp int64  // milliseconds since the Unix epoch

	Fqdn      string
	Region    string
	UserAgent string

	// ApiCall.
	AttemptCount             int
	Latency                  float64
	FinalHTTPStatusCode      int // FinalHttpStatusCode
	FinalAwsException        string
	FinalAwsExceptionMessage string
	FinalSdkException        string
	FinalSdkExceptionMessage string
	MaxRetriesExceeded       int

	// ApiCallAttempt.
	AttemptLatency      float64
	HTTPStatusCode      int // HttpStatusCode
	AwsException        string
	AwsExceptionMessage string
	SdkException        string
	SdkExceptionMessage string
	XAmzRequestID       string // XAmzRequestId
	XAmznRequestID      string // XAmznRequestId
	XAmzID2             string // XAmzId2
	DestinationIP       string // DestinationIp

	// The HTTP timing fields of an ApiCallAttempt are pointers: a sender
	// that does not time its attempts leaves them out, which is not the
	// same as 0.
	ConnectionReused         *int
	AcquireConnectionLatency *float64
	ConnectLatency           *float64
	DNSLatency               *float64 // DnsLatency
	TCPLatency               *float64 // TcpLatency
	SSLLatency               *float64 // SslLatency
	RequestLatency           *float64

	// Raw is the object's JSON as it came, secrets included: a
	// sub-slice of the datagram given to Parse, valid as long as it is.
	// Show it only through AppendRedacted.
	Raw []byte
}

// Status returns the HTTP status code and the exception of the event: the
// final ones of an ApiCall, those of an ApiCallAttempt. The exception is
// the AWS one if there is one, else the SDK one, else empty. The code is 0
// when no response came.
func (e *Event) Status() (code int, exception string) {
	if e.Type == TypeAPICall {
		code, exception = e.FinalHTTPStatusCode, e.FinalAwsException
		if exception == "" {
			exception = e.FinalSdkException
		}
		return code, exception
	}
	exception = e.AwsException
	if exception == "" {
		exception = e.SdkException
	}
	return e.HTTPStatusCode, exception
}

// Failed reports whether the call or attempt failed: it has an exception
// or an HTTP status code of 400 or more.
func (e *Event) Failed() bool {
	code, exception := e.Status()
	return exception != "" || code >= 400
}
