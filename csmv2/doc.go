// Package csmv2 brings AWS SDK Client Side Monitoring (CSM) to
// aws-sdk-go-v2: for every API call of a v2 client, one "ApiCall" datagram,
// and one "ApiCallAttempt" datagram per HTTP attempt, sent over UDP to a
// local CSM agent (127.0.0.1:31000 by default). The datagrams are those of
// package github.com/opencsm/csm-go/csm for aws-sdk-go v1, and of the other
// AWS SDKs: receivers need no change.
//
// # Enabling
//
// Enable reads the settings aws-sdk-go v1 reads (aws-sdk-go-v2's config
// package does not), with the same parser as package csm: the environment
// variables AWS_CSM_ENABLED, AWS_CSM_HOST, AWS_CSM_PORT and
// AWS_CSM_CLIENT_ID, then the csm_enabled, csm_host, csm_port and
// csm_client_id keys of the shared files, in their [aws_csm] profile or the
// active one. AWS_CSM_ENABLED or csm_enabled enables or disables CSM; when
// neither is set, a non-empty AWS_CSM_HOST or AWS_CSM_PORT enables it. When
// the settings enable CSM, it adds the
// middleware to the config's APIOptions, so that every client made from the
// config afterwards is monitored:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil {
//		return err
//	}
//	if _, err := csmv2.Enable(&cfg); err != nil {
//		log.Printf("CSM stays off: %v", err) // the clients work without it
//	}
//	client := s3.NewFromConfig(cfg)
//
// Start and Reporter.AddMiddleware do the same with settings given by the
// program:
//
//	rep, err := csmv2.Start("my-service", "127.0.0.1:31000")
//	if err != nil {
//		return err
//	}
//	cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
//
// # One reporter per process
//
// The reporter is process-wide and shared with package csm: a program that
// uses aws-sdk-go v1 and v2 side by side sends one stream of datagrams, from
// one socket and one queue, with one client ID. Whichever package starts it
// first sets its client ID, address and queue capacity; asking for another
// client ID or address later is an error (csm.Start, for aws-sdk-go's sake,
// panics instead). Pause, Continue, Stats, Flush and Shutdown act on the
// shared reporter.
//
// # Short-lived programs
//
// When a call returns, its datagrams are in the kernel: the call that ends
// writes what is queued, its own metrics included, with system calls that
// never wait for room in the socket buffer, and calls that end while
// another writes wait for it to write theirs. So a program that returns
// from main, or calls os.Exit, right after its calls loses nothing, however
// many goroutines made them. The exceptions are counted in Stats: metrics
// dropped (the queue full, the reporter paused), and metrics deferred to
// the reporter's goroutine because the socket's buffer was full or more
// were queued than a call writes; on Windows every call defers its
// metrics. A program that must not lose those calls Flush (or Shutdown)
// before it exits:
//
//	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
//	defer cancel()
//	_ = csmv2.Get().Flush(ctx) // returns once what was queued is written, or when ctx ends
//
// # Dependencies
//
// The module needs aws-sdk-go-v2 and smithy-go v1.0.0 or later, and module
// github.com/opencsm/csm-go/internal/report, the core it shares with package csm. A
// program that uses it has no part of aws-sdk-go v1 in its module graph.
//
// # What the middleware does
//
// Reporter.AddMiddleware adds two middleware to an operation's stack: one
// first in the Initialize step, which sees the whole call (validation
// failures included), and one in the Finalize step right after the "Retry"
// middleware, which times each attempt; with HTTP timing on (see
// SetHTTPTiming), a third, innermost in the Deserialize step, marks when
// the response's headers arrived. No state is passed down the stack:
// each attempt leaves its record in the metadata it returns, which the
// SDK's retry middleware keeps per attempt, and at the call's end the call
// middleware sends an ApiCallAttempt datagram per attempt, then the ApiCall
// datagram. The call's service, operation and region are read once, for
// all of them; an attempt's datagram carries the timestamp and latency
// measured when it ran. An operation run inside another (a
// credentials provider's STS call, DynamoDB's endpoint discovery) has
// metadata of its own, so it is an API call of its own and leaves the outer
// call's attempt count alone. The access key and the session
// token are read from the signed request, never from the credentials
// provider; the token is sent only to an agent on a loopback address.
//
// An API option that runs after AddMiddleware and adds its own middleware
// first in the Initialize step puts it ahead of the call middleware, whose
// ApiCall then does not see what that middleware does.
//
// Nothing is added to a stack that has no "Retry" middleware or that has a
// "PresignHTTPRequest" one: presigning makes no API call. Nothing is added
// twice: a stack that already has the middleware is left as it is.
//
// The middleware never fails an operation and never waits: a metric that
// finds the queue full is dropped and counted in Stats.DroppedFull.
package csmv2
