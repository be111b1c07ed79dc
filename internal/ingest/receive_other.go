//go:build !linux || !(amd64 || arm64)

package ingest

// run is the receive loop: a datagram per read.
func (r *Receiver) run(max int, h Handler) error {
	return r.readOne(max, h)
}
