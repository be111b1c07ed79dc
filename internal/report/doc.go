// Package report is the part of CSM that knows no AWS SDK: the metric, its
// compact record and its JSON encoding, the bounded queue, the UDP sender,
// the counters, the CSM settings, and the process-wide reporter that the
// aws-sdk-go integration (package csm) and the aws-sdk-go-v2 integration
// (module csmv2) share, so that one program sends one stream of datagrams
// from one socket with one client ID.
package report
