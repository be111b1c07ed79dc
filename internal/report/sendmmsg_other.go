//go:build !(linux && (amd64 || arm64))

package report

// newRawBatchWriter returns nil: raw sendmmsg is written here only for
// Linux on amd64 and arm64; elsewhere the sender uses x/net's batch writer
// where there is one.
func newRawBatchWriter(datagramConn) batchWriter { return nil }
