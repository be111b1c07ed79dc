package tail

import (
	"context"
	"net"
	"time"
)

// maxDatagram is the largest datagram csmtail reads whole: 64 KiB, more
// than any UDP payload over IPv4 (65,507 bytes) or IPv6 without jumbograms.
const maxDatagram = 64 << 10

// readBuffer is the socket receive buffer csmtail asks for, to absorb
// bursts. The kernel may grant less (on Linux, at most net.core.rmem_max)
// and drops what does not fit; on Linux those drops are counted
// (SO_RXQ_OVFL).
const readBuffer = 8 << 20

// listenUDP opens the receiver's socket on addr ("host:port") with a large
// receive buffer.
func listenUDP(addr string) (*net.UDPConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(readBuffer) // best effort: the kernel caps it
	return conn, nil
}

// receiver reads datagrams from a UDP socket.
type receiver struct {
	conn *net.UDPConn
	// max is the largest datagram taken whole; the read buffer holds one
	// byte more, so that a datagram that fills it is known to be cut.
	max   int
	stats *receiveStats
}

// run reads datagrams and passes each to p.handle, on the calling
// goroutine, until ctx ends; then it returns nil, once nothing will touch
// the socket's read deadline any more. It returns the error of a read that
// fails otherwise. It leaves the socket open: the caller owns it.
func (r receiver) run(ctx context.Context, p *pipeline) error {
	// An expired deadline wakes a blocked read when ctx ends.
	if err := r.conn.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = r.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	drops := enableDropCount(r.conn)
	var oob []byte
	if drops {
		oob = make([]byte, 64)
	}
	buf := make([]byte, r.max+1)
	for {
		n, oobn, _, from, err := r.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if drops {
			if total, ok := dropCount(oob[:oobn]); ok {
				r.stats.kernelDrops.Store(uint64(total))
			}
		}
		p.handle(buf[:n], from, n > r.max, time.Now())
	}
}
