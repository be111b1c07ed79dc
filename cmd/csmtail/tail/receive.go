package tail

import (
	"context"
	"net"
	"time"

	"github.com/opencsm/csm-go/internal/ingest"
)

// maxDatagram is the largest datagram csmtail reads whole.
const maxDatagram = ingest.MaxDatagram

// listenUDP opens the receiver's socket on addr ("host:port") with a large
// receive buffer.
func listenUDP(addr string) (*net.UDPConn, error) { return ingest.Listen(addr) }

// receiver reads datagrams from a UDP socket.
type receiver struct {
	conn *net.UDPConn
	// max is the largest datagram taken whole.
	max   int
	stats *receiveStats
}

// run reads datagrams and passes them to p a batch at a time, on the
// calling goroutine, until ctx ends; then it returns nil. It returns the
// error of a read that fails otherwise. It leaves the socket open: the
// caller owns it.
func (r receiver) run(ctx context.Context, p *pipeline) error {
	rr := &ingest.Receiver{Conn: r.conn, MaxDatagram: r.max}
	return rr.Run(ctx, func(batch []ingest.Packet, received time.Time) {
		if n := rr.KernelDrops(); n != 0 {
			r.stats.kernelDrops.Store(n)
		}
		p.handleBatch(batch, received)
	})
}
