// Package report is the part of CSM that knows no AWS SDK: the metric, its
// compact record and its JSON encoding, the bounded queue, the UDP sender,
// the counters, the CSM settings, and the process-wide reporter that the
// aws-sdk-go integration (package csm) and the aws-sdk-go-v2 integration
// (module csmv2) share, so that one program sends one stream of datagrams
// from one socket with one client ID.
//
// It is internal to csm-go's modules, a versioned module of its own: its
// exported names are those csm and csmv2 use, not an API for programs
// (docs/releasing.md says why it is a module).
package report
