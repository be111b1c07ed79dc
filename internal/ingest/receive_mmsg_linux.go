//go:build linux && (amd64 || arm64)

package ingest

import (
	"encoding/binary"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// mmsghdr is Linux's struct mmsghdr.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// oobLen is the room for a datagram's control messages: the drop count
// (SO_RXQ_OVFL) needs CMSG_SPACE(4), 24 bytes.
const oobLen = 64

// run is the receive loop: recvmmsg(2) reads up to BatchSize datagrams per
// system call, as many as are queued, and waits in the network poller, as
// net.UDPConn does, only when none is.
func (r *Receiver) run(max int, h Handler) error {
	rc, err := r.Conn.SyscallConn()
	if err != nil {
		return r.readOne(max, h)
	}
	drops := enableDropCount(r.Conn)
	n := r.BatchSize
	if n <= 0 {
		n = DefaultBatchSize
	}
	size := max + 1 // one byte more: a datagram that fills it was cut
	bufs := make([]byte, n*size)
	names := make([]syscall.RawSockaddrInet6, n)
	oob := make([]byte, n*oobLen)
	iovs := make([]syscall.Iovec, n)
	hdrs := make([]mmsghdr, n)
	for i := range hdrs {
		iovs[i].Base = &bufs[i*size]
		iovs[i].SetLen(size)
		hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&names[i]))
		hdrs[i].hdr.Iov = &iovs[i]
		hdrs[i].hdr.Iovlen = 1
		if drops {
			hdrs[i].hdr.Control = &oob[i*oobLen]
		}
	}
	batch := make([]Packet, n)

	var got int
	var errno syscall.Errno
	read := func(fd uintptr) bool {
		for i := range hdrs {
			hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet6
			if drops {
				hdrs[i].hdr.SetControllen(oobLen)
			}
			hdrs[i].hdr.Flags = 0
		}
		// A raw system call: with MSG_DONTWAIT it never blocks, and
		// the scheduler need not hand the processor to another thread.
		r0, _, e := syscall.RawSyscall6(syscall.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), syscall.MSG_DONTWAIT, 0, 0)
		if e == syscall.EAGAIN || e == syscall.EWOULDBLOCK {
			return false // wait until the socket is readable
		}
		got, errno = int(r0), e
		return true
	}
	for {
		if err := rc.Read(read); err != nil {
			return err
		}
		if errno != 0 {
			if errno == syscall.EINTR {
				continue
			}
			return os.NewSyscallError("recvmmsg", errno)
		}
		now := time.Now()
		for i := 0; i < got; i++ {
			l := int(hdrs[i].len)
			batch[i] = Packet{
				Data:      bufs[i*size : i*size+min(l, size) : i*size+size],
				From:      sockaddrPort(&names[i], hdrs[i].hdr.Namelen),
				Truncated: l > max || hdrs[i].hdr.Flags&syscall.MSG_TRUNC != 0,
			}
		}
		if drops && got > 0 {
			// The count is cumulative: the last datagram's is the
			// newest.
			last := got - 1
			if total, ok := dropCount(oob[last*oobLen : last*oobLen+int(hdrs[last].hdr.Controllen)]); ok {
				r.kernelDrops.Store(uint64(total))
			}
		}
		r.received.Add(uint64(got))
		h(batch[:got], now)
		clear(batch[:got])
	}
}

// sockaddrPort returns the address of a struct sockaddr_in or
// sockaddr_in6 of length n.
func sockaddrPort(sa *syscall.RawSockaddrInet6, n uint32) netip.AddrPort {
	switch sa.Family {
	case syscall.AF_INET:
		if n < syscall.SizeofSockaddrInet4 {
			return netip.AddrPort{}
		}
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	case syscall.AF_INET6:
		if n < syscall.SizeofSockaddrInet6 {
			return netip.AddrPort{}
		}
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
	}
	return netip.AddrPort{}
}
