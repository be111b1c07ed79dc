package report

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// maxBatch is the most datagrams written with one system call: a batch of
// the write token's holder.
const maxBatch = 16

// batchWriter writes several datagrams with one system call (sendmmsg on
// Linux): rawBatchWriter on Linux on amd64 and arm64, x/net's
// ipv4.PacketConn and ipv6.PacketConn elsewhere (one datagram per call but on
// Linux). The reporter always passes MSG_DONTWAIT in flags: it returns at
// once when the socket's buffer is full, instead of waiting for room.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// datagramConn is a connected datagram socket, such as *net.UDPConn.
type datagramConn interface {
	syscall.Conn
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// sender writes datagrams to the agent's connected UDP socket. Whoever holds
// the reporter's write token uses it: an API call's goroutine, or the sender
// goroutine.
type sender struct {
	conn  *net.UDPConn
	batch batchWriter // nil: one write per datagram
	msgs  []ipv4.Message
}

// newSender returns a sender to conn. It writes with sendmmsg(2) on Linux,
// with one sendmsg(2) per datagram through x/net on other Unix systems,
// both of which can return at once on a full buffer (MSG_DONTWAIT), and
// with one write per datagram elsewhere (Windows), which cannot.
func newSender(conn *net.UDPConn) *sender {
	s := &sender{conn: conn}
	if msgDontWait != 0 {
		if w := newRawBatchWriter(conn); w != nil {
			s.batch = w
		} else if conn.RemoteAddr().(*net.UDPAddr).IP.To4() != nil {
			s.batch = ipv4.NewPacketConn(conn)
		} else {
			s.batch = ipv6.NewPacketConn(conn)
		}
		s.msgs = make([]ipv4.Message, maxBatch)
		for i := range s.msgs {
			s.msgs[i].Buffers = make([][]byte, 1)
		}
	}
	return s
}

// canSkipWait reports whether send returns at once on a full socket buffer
// instead of waiting for room: only the batch writer does.
func (s *sender) canSkipWait() bool { return s.batch != nil }

// send writes each of datagrams (at most maxBatch) as one datagram and
// returns how many were written, how many failed, and the last error. A
// failed datagram (the agent's port refused an earlier one, say) does not
// stop the others.
//
// If canSkipWait, send stops at the first datagram the socket's buffer has
// no room for, so sent+failed may be less than len(datagrams): the caller
// keeps the rest for a writer that may wait. Otherwise it writes one
// datagram per write, each of which may wait for room.
func (s *sender) send(datagrams [][]byte) (sent, failed int, err error) {
	if s.batch == nil {
		return s.sendEach(datagrams)
	}
	for i, d := range datagrams {
		s.msgs[i].Buffers[0] = d
	}
	msgs := s.msgs[:len(datagrams)]
	defer func() {
		for i := range datagrams {
			s.msgs[i].Buffers[0] = nil // keeps no datagram alive
		}
	}()
	for len(msgs) > 0 {
		n, werr := s.batch.WriteBatch(msgs, msgDontWait)
		if n < 0 {
			// x/net passes on sendmmsg's -1 with the error.
			n = 0
		}
		sent += n
		msgs = msgs[n:]
		if werr != nil && len(msgs) > 0 && isFull(werr) {
			// A full buffer is no failure: the rest waits for the
			// sender goroutine. An earlier datagram's failure stays.
			return sent, failed, err
		}
		switch {
		case werr != nil && errors.Is(werr, syscall.ENOSYS):
			// No sendmmsg here (an old kernel): write one datagram at
			// a time from now on.
			s.batch = nil
			more, lost, eerr := s.sendEach(datagrams[len(datagrams)-len(msgs):])
			return sent + more, failed + lost, lastOf(err, eerr)
		case werr != nil && len(msgs) > 0 && refusedBatch(werr):
			// A sandbox may forbid sendmmsg but allow write; a
			// firewall refuses both. Ask write to tell them apart.
			if _, perr := s.conn.Write(msgs[0].Buffers[0]); perr == nil {
				s.batch = nil
				more, lost, eerr := s.sendEach(datagrams[len(datagrams)-len(msgs)+1:])
				return sent + 1 + more, failed + lost, eerr
			}
			failed++
			msgs = msgs[1:]
			err = werr
		case werr != nil && len(msgs) > 0:
			// The first datagram not written is the one that failed
			// (a refused port, say).
			failed++
			msgs = msgs[1:]
			err = werr
		case werr != nil:
			err = werr
		case werr == nil && n == 0:
			// No progress and no error: give up on the rest rather
			// than spin.
			return sent, failed + len(msgs), errNoProgress
		}
	}
	return sent, failed, err
}

// errNoProgress is the error of a batch write that wrote nothing and said
// nothing.
var errNoProgress = errors.New("csm: the system wrote no datagram of a batch and returned no error")

// lastOf returns b if it is an error, else a.
func lastOf(a, b error) error {
	if b != nil {
		return b
	}
	return a
}

// isFull reports whether err says the socket's buffer has no room now.
func isFull(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
}

// refusedBatch reports whether a WriteBatch error may mean that sendmmsg
// itself is not allowed here, rather than the datagram.
func refusedBatch(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, syscall.EOPNOTSUPP)
}

// sendEach writes the datagrams one system call each.
func (s *sender) sendEach(datagrams [][]byte) (sent, failed int, err error) {
	for _, d := range datagrams {
		if _, werr := s.conn.Write(d); werr != nil {
			failed++
			err = werr
		} else {
			sent++
		}
	}
	return sent, failed, err
}
