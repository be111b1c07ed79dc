package report

import (
	"errors"
	"net"
	"runtime"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// maxBatch is the most datagrams the sender writes with one system call.
const maxBatch = 64

// batchWriter writes several datagrams with one system call (sendmmsg on
// Linux); ipv4.PacketConn and ipv6.PacketConn are ones.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// sender writes datagrams to the agent's connected UDP socket. It is used by
// the sender goroutine alone.
type sender struct {
	conn  *net.UDPConn
	batch batchWriter // nil: one write per datagram
	msgs  []ipv4.Message
}

func newSender(conn *net.UDPConn) *sender {
	s := &sender{conn: conn}
	// Elsewhere than on Linux, x/net writes one message per call anyway,
	// or none at all.
	if runtime.GOOS == "linux" {
		if conn.RemoteAddr().(*net.UDPAddr).IP.To4() != nil {
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

// send writes each of datagrams (at most maxBatch) as one datagram and
// returns how many were written and how many failed. A failed datagram (the
// agent's port refused an earlier one, say) does not stop the others.
func (s *sender) send(datagrams [][]byte) (sent, failed int) {
	if s.batch == nil {
		return s.sendEach(datagrams)
	}
	for i, d := range datagrams {
		s.msgs[i].Buffers[0] = d
	}
	msgs := s.msgs[:len(datagrams)]
	for len(msgs) > 0 {
		n, err := s.batch.WriteBatch(msgs, 0)
		if n < 0 {
			// x/net passes on sendmmsg's -1 with the error.
			n = 0
		}
		sent += n
		msgs = msgs[n:]
		switch {
		case err != nil && errors.Is(err, syscall.ENOSYS):
			// No sendmmsg here (an old kernel): write one datagram at
			// a time from now on.
			s.batch = nil
			more, lost := s.sendEach(datagrams[len(datagrams)-len(msgs):])
			return sent + more, failed + lost
		case err != nil && len(msgs) > 0 && refusedBatch(err):
			// A sandbox may forbid sendmmsg but allow write; a
			// firewall refuses both. Ask write to tell them apart.
			if _, werr := s.conn.Write(msgs[0].Buffers[0]); werr == nil {
				s.batch = nil
				more, lost := s.sendEach(datagrams[len(datagrams)-len(msgs)+1:])
				return sent + 1 + more, failed + lost
			}
			failed++
			msgs = msgs[1:]
		case err != nil && len(msgs) > 0:
			// The first datagram not written is the one that failed
			// (a refused port, say).
			failed++
			msgs = msgs[1:]
		case err == nil && n == 0:
			// No progress and no error: give up on the rest rather
			// than spin.
			return sent, failed + len(msgs)
		}
	}
	return sent, failed
}

// refusedBatch reports whether a WriteBatch error may mean that sendmmsg
// itself is not allowed here, rather than the datagram.
func refusedBatch(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, syscall.EOPNOTSUPP)
}

// sendEach writes the datagrams one system call each.
func (s *sender) sendEach(datagrams [][]byte) (sent, failed int) {
	for _, d := range datagrams {
		if _, err := s.conn.Write(d); err != nil {
			failed++
		} else {
			sent++
		}
	}
	return sent, failed
}
