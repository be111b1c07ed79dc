package ingest

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// MaxDatagram is the largest datagram a Receiver reads whole by default:
// 64 KiB, more than any UDP payload over IPv4 (65,507 bytes) or IPv6
// without jumbograms.
const MaxDatagram = 64 << 10

// ReadBuffer is the socket receive buffer Listen asks for, to absorb
// bursts. The kernel may grant less (on Linux, at most net.core.rmem_max)
// and drops what does not fit; on Linux a Receiver counts those drops.
const ReadBuffer = 8 << 20

// Listen opens a UDP socket on addr ("host:port") with a receive buffer of
// ReadBuffer bytes, or what the kernel grants.
func Listen(addr string) (*net.UDPConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(ReadBuffer) // best effort: the kernel caps it
	return conn, nil
}

// Packet is a datagram as a Receiver read it.
type Packet struct {
	// Data is the datagram, valid until the Handler returns.
	Data []byte
	// From is the sender's address.
	From netip.AddrPort
	// Truncated tells that the datagram was larger than the Receiver's
	// MaxDatagram: Data holds its first MaxDatagram+1 bytes.
	Truncated bool
}

// Handler takes a batch of datagrams read together at received. It runs
// on the receive loop's goroutine: while it runs, nothing is read, and
// the kernel drops what its socket buffer cannot hold. It must not keep
// the batch or its Data after it returns.
type Handler func(batch []Packet, received time.Time)

// Receiver reads datagrams from a UDP socket a batch at a time (on Linux,
// up to BatchSize datagrams with one system call) and counts the
// datagrams it read and those the kernel dropped. Set its fields before
// Run; its methods are safe for concurrent use.
type Receiver struct {
	// Conn is the socket; the Receiver does not close it.
	Conn *net.UDPConn
	// MaxDatagram is the largest datagram read whole; 0 for MaxDatagram.
	MaxDatagram int
	// BatchSize is the most datagrams read at once; 0 for DefaultBatchSize.
	BatchSize int

	received    atomic.Uint64
	kernelDrops atomic.Uint64
}

// DefaultBatchSize is the BatchSize of a Receiver that sets none.
const DefaultBatchSize = 32

// Received returns how many datagrams Run read.
func (r *Receiver) Received() uint64 { return r.received.Load() }

// KernelDrops returns how many datagrams the kernel dropped on the socket
// for want of buffer space since it was opened, as last told (Linux only;
// 0 elsewhere). The kernel tells it with the next datagram read after a
// drop.
func (r *Receiver) KernelDrops() uint64 { return r.kernelDrops.Load() }

// Run reads datagrams and hands them to h a batch at a time, on the
// calling goroutine, until ctx ends; then it returns nil, once nothing
// will touch the socket's read deadline any more. It returns the error of
// a read that fails otherwise.
func (r *Receiver) Run(ctx context.Context, h Handler) error {
	// An expired deadline wakes a blocked read when ctx ends.
	if err := r.Conn.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = r.Conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	max := r.MaxDatagram
	if max <= 0 {
		max = MaxDatagram
	}
	err := r.run(max, h)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// readOne is the portable receive loop: a datagram per read.
func (r *Receiver) readOne(max int, h Handler) error {
	drops := enableDropCount(r.Conn)
	var oob []byte
	if drops {
		oob = make([]byte, 64)
	}
	buf := make([]byte, max+1)
	batch := make([]Packet, 1)
	for {
		n, oobn, _, from, err := r.Conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return err
		}
		if drops {
			if total, ok := dropCount(oob[:oobn]); ok {
				r.kernelDrops.Store(uint64(total))
			}
		}
		r.received.Add(1)
		batch[0] = Packet{Data: buf[:min(n, max+1)], From: from, Truncated: n > max}
		h(batch, time.Now())
	}
}
