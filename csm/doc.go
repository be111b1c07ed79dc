// Package csm reports the API calls of aws-sdk-go (v1) clients to a local
// Client Side Monitoring (CSM) agent, over UDP, as the AWS SDKs' CSM does.
//
// It is a drop-in replacement for github.com/aws/aws-sdk-go/aws/csm: the
// same exported API, the same handler names and the same datagrams, so that
// a program changes one import line:
//
//	import "github.com/opencsm/csm-go/csm" // was "github.com/aws/aws-sdk-go/aws/csm"
//
// For each API call, the reporter sends one ApiCallAttempt datagram per HTTP
// attempt and one ApiCall datagram for the call, as one compact JSON object
// each, to the agent (127.0.0.1:31000 unless configured otherwise). It never
// blocks or fails the API call: metrics go through a bounded queue (see
// Performance), and what cannot be queued is dropped and counted.
//
// # Enabling from the settings
//
// NewSession creates a session with CSM enabled as the settings ask; Enable
// does the same for a session the program made itself:
//
//	sess, err := csm.NewSession(&aws.Config{Region: aws.String("us-west-2")})
//
// The settings are those of the other AWS SDKs:
//
//   - AWS_CSM_ENABLED, or csm_enabled in the shared config file: true
//     enables CSM, false disables it. When neither is set, a non-empty
//     AWS_CSM_HOST or AWS_CSM_PORT enables CSM, as this package has always
//     documented.
//   - AWS_CSM_HOST, or csm_host: the agent's host name or IP address
//     (default 127.0.0.1; an IPv6 address without brackets).
//   - AWS_CSM_PORT, or csm_port: the agent's UDP port (default 31000).
//   - AWS_CSM_CLIENT_ID, or csm_client_id: a string put in every datagram
//     to tell applications apart (default empty).
//   - AWS_CSM_HTTP_TIMING, or csm_http_timing: true asks for the HTTP
//     timing fields of ApiCallAttempt metrics.
//
// Each key is taken on its own from the first of: the environment
// variable; the [aws_csm] profile (else [profile aws_csm]) of the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials),
// then of the shared config file (AWS_CONFIG_FILE, else ~/.aws/config), as
// aws-sdk-go v1 reads them; the active profile of the config file
// (AWS_PROFILE, else AWS_DEFAULT_PROFILE, else default), as the other SDKs
// do. The files are parsed with aws-sdk-go v1's rules (quotes, ':' as a
// separator, case-sensitive keys, a duplicated section is the later one),
// and read whether or not AWS_SDK_LOAD_CONFIG is set, but not when
// AWS_CSM_ENABLED disables CSM. The active profile comes from the
// environment only: a profile given to session.NewSessionWithOptions does
// not change where Enable looks. The repository's docs/settings.md has the
// details and docs/differences.md what differs from aws-sdk-go.
//
// A malformed value (a port that is not a number from 1 to 65535, a
// boolean aws-sdk-go would not recognize, a host that does not resolve or
// carries a port or brackets, a shared file that is not a regular file, a
// client ID other than that of the reporter already running) gives a
// *SettingError that names the setting and the value and says what to do;
// the session works without CSM. Settings other than the enabling one are
// checked only when CSM is enabled. Nothing is ever written to stdout or
// stderr.
//
// When aws-sdk-go's own session enables its built-in CSM too (it reads
// AWS_CSM_ENABLED, the credentials file's [aws_csm] profile, and the config
// file's with AWS_SDK_LOAD_CONFIG), it starts its built-in reporter, a
// goroutine and a UDP socket for the life of the process; Enable replaces
// its handlers, so it sends nothing.
//
// # Manual control
//
// Start starts the process's reporter and InjectHandlers adds its handlers
// to a session's; Get returns the reporter; Pause and Continue stop and
// resume reporting:
//
//	r, err := csm.Start("my-app", "127.0.0.1:31000")
//	if err != nil {
//		return err
//	}
//	sess := session.Must(session.NewSession())
//	r.InjectHandlers(&sess.Handlers)
//
//	r.Pause()    // calls made now are not reported
//	r.Continue() // and now they are again
//
// A process has one reporter, with one client ID and one agent address.
// Start called again with the same ones returns it; with other ones it
// panics, as the original package documents. All functions and methods are
// safe for concurrent use, and the methods are no-ops on a nil *Reporter.
//
// # What is sent
//
// Every datagram has Version (1), Type, Service (the client's ServiceId),
// Api (the operation), ClientId and Timestamp (milliseconds since the Unix
// epoch, at the start of the call or attempt).
//
// An ApiCallAttempt also has Fqdn (the endpoint's host), Region, UserAgent,
// AccessKey (the access key ID the request was signed with),
// AttemptLatency, and when there was an HTTP response its HttpStatusCode
// and the XAmzRequestId, XAmznRequestId and XAmzId2 response headers. An
// attempt that failed has AwsException and AwsExceptionMessage (the
// service's error code and message) or SdkException and SdkExceptionMessage
// (the SDK's error code, such as RequestError or RequestCanceled, and the
// message of the underlying cause).
//
// An ApiCall has Latency, AttemptCount, Region, UserAgent, the Final* fields
// of its last attempt (FinalHttpStatusCode, FinalAwsException, ...), and
// MaxRetriesExceeded: 1 when the call failed on an error the SDK would have
// retried had it retries left (with retries disabled too), else 0.
//
// # Security
//
// The secret access key is never read, so it can never be sent. The access
// key ID and the session token are taken from the signed request (its
// Signature Version 4, or S3 Signature Version 2, Authorization header and
// its X-Amz-Security-Token header), not from the credentials provider, so
// reporting never starts a credentials fetch; a request signed otherwise
// has no AccessKey.
// The session token (SessionToken) is sent only when the agent's address is
// a loopback address (127.0.0.0/8 or ::1, which "localhost" is): a token
// must not cross a network in clear text.
//
// # Limits
//
// Strings are cut, never in the middle of a UTF-8 character, at the limits
// the other SDKs use: ClientId 255 bytes, UserAgent 256, exception codes
// 128, exception messages 512. Other strings are bounded too (Service and
// Api 128, Fqdn 255, Region 64, AccessKey 128, request IDs 256). A datagram
// is valid JSON whatever the strings hold (invalid UTF-8 becomes U+FFFD),
// has no trailing newline, and is at most 8192 bytes: if escaping makes it
// longer, the strings are cut further, and as a last resort the session
// token, which is never cut, is left out.
//
// # Performance
//
// What reporting costs an API call is paid on the call's goroutine: the two
// handlers and, when the call ends, the write of its datagrams, which calls
// that end at the same time share. A sender goroutine writes only what the
// calls leave to it.
//
//   - A paused reporter costs each of the two reporting handlers one atomic
//     load and one atomic add (the metric is counted in
//     Stats.DroppedPaused). A process that never starts a reporter has no
//     handlers at all.
//   - A running reporter builds the metric from the request without
//     reflection or allocation, cuts its strings to their limits, and copies
//     them into the queue under a short lock. BENCHMARKS.md compares the
//     cost with the original package's handlers.
//   - The queue is one ring of bytes, allocated at start: at most
//     MetricsChannelSize metrics (default 4096) and MetricsChannelSize KiB
//     (4 MiB by default; at least 16 KiB, at most 64 MiB). When it is full,
//     the metric is dropped and counted in Stats.DroppedFull: the call never
//     waits.
//   - When a call returns, its datagrams are in the kernel. The call that
//     ends writes what is queued, its own metrics included, encoded by hand
//     (byte for byte what encoding/json writes), with system calls that
//     never wait for room in the socket buffer (sendmmsg of up to 16
//     datagrams on Linux, one sendmsg per datagram on other Unix systems).
//     Calls that end while another writes wait for it, and it writes theirs
//     with its own: many calls at once share a few system calls. So a
//     command-line tool or a job that returns from main, or calls os.Exit,
//     right after its calls loses nothing, with no Flush, however many
//     goroutines made them.
//   - The exceptions are counted in Stats: a metric dropped because the
//     queue was full (DroppedFull) or the reporter paused (DroppedPaused),
//     and metrics left to the sender goroutine (Deferred) because the
//     socket's buffer was full or more were queued than a call writes (128
//     datagrams). On Windows every call's metrics are left to it.
//
// Stats counts what was queued, sent, deferred, dropped and failed, and
// keeps the last write error. A program that must not lose the deferred
// metrics either calls Flush (what was queued is written) or Shutdown (the
// same, then the goroutine and the socket stop) before it exits.
//
// BENCHMARKS.md in the repository has the measurements: the handlers' cost
// next to the original package's, and the highest call rates at which each
// delivers 99.9% of its metrics.
package csm
