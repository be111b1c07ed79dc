// Package ingest is what every receiver of AWS SDK Client Side Monitoring
// (CSM) datagrams in csm-go shares: the receive loop, the parser, the
// redaction of secrets and the bounded admission of names. csmtail and the
// OpenTelemetry Collector receiver build on it; it knows no AWS SDK and no
// output.
//
// A datagram goes receive → parse → admit:
//
//   - [Receiver] reads a UDP socket a batch of datagrams at a time and
//     hands each batch to a [Handler] on its own goroutine, counting the
//     datagrams the kernel dropped for want of buffer space.
//   - [Parse] (or a [Parser], which keeps the names it has read) reads the
//     events of a datagram, [Event]s, in one pass, and tells why a datagram
//     is bad ([BadReason]) when it is.
//   - [NameSet] admits up to a limit of distinct names, so that whatever
//     arrives, the number of series a receiver keeps stays bounded.
//
// # Secrets
//
// An [Event] holds neither the AccessKey nor the SessionToken of its
// object. Where a receiver shows a datagram's bytes, [MaskSecrets] and
// [AppendRedacted] replace every SessionToken value with "REDACTED" and
// mask every AccessKey value to its last four characters.
package ingest
