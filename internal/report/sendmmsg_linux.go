//go:build linux && (amd64 || arm64)

package report

import (
	"net"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
)

// rawBatch is the most datagrams one raw system call writes: it bounds how
// long the call keeps its processor (about 90 µs to a busy loopback socket
// here, the slowest measured), which with GOMAXPROCS=1 every other
// goroutine, and a stop of the world for the garbage collector, waits for.
const rawBatch = 16

// mmsghdr is Linux's struct mmsghdr.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// rawBatchWriter writes datagrams to a connected socket with sendmmsg(2),
// always with MSG_DONTWAIT, as a raw system call: one the Go scheduler does
// not see. x/net's ipv4.PacketConn makes the same call as an ordinary
// system call; while the sender goroutine is in a long one (tens of
// datagrams to a busy agent), the scheduler hands its processor to another
// thread, which spins looking for work on the cores the API calls need.
// A raw call is safe here because it
// never blocks: with a full socket buffer it returns EAGAIN, whatever the
// flags asked, and what is left goes to the sender goroutine, which waits
// for room with net.Conn.Write. It writes at most rawBatch datagrams per
// call, and the sender goroutine yields between calls. It sends each message's first buffer, to
// the socket's connected address; a message's Addr is not used.
type rawBatchWriter struct {
	conn datagramConn
	rc   syscall.RawConn
	hdrs [rawBatch]mmsghdr
	iovs [rawBatch]syscall.Iovec

	// The call in progress, for write, which rc.Write calls: a method
	// value made once, so that a write allocates nothing.
	count int
	flags int
	n     int
	errno syscall.Errno
	write func(fd uintptr) bool
}

// newRawBatchWriter returns a rawBatchWriter for conn, a connected datagram
// socket, or nil if conn has no descriptor to write to.
func newRawBatchWriter(conn datagramConn) batchWriter {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawBatchWriter{conn: conn, rc: rc}
	w.write = w.writeFD
	return w
}

// WriteBatch writes the first buffer of each of ms, up to rawBatch of
// them, as a datagram and returns how many were written, which may be
// fewer. It never waits for room in the socket's buffer: it adds
// MSG_DONTWAIT to flags. A failed system call's error is a *net.OpError, as net.Conn.Write
// and x/net return.
func (w *rawBatchWriter) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	if len(ms) > rawBatch {
		ms = ms[:rawBatch]
	}
	if len(ms) == 0 {
		return 0, nil
	}
	for i := range ms {
		b := ms[i].Buffers[0]
		w.iovs[i] = syscall.Iovec{}
		if len(b) > 0 {
			w.iovs[i].Base = &b[0]
		}
		w.iovs[i].SetLen(len(b))
		w.hdrs[i] = mmsghdr{}
		w.hdrs[i].hdr.Iov = &w.iovs[i]
		w.hdrs[i].hdr.Iovlen = 1
	}
	w.count, w.flags = len(ms), flags|syscall.MSG_DONTWAIT
	err := w.rc.Write(w.write)
	runtime.KeepAlive(ms)
	for i := range ms {
		w.iovs[i].Base = nil // keeps no datagram alive
	}
	n, errno := w.n, w.errno
	w.n, w.errno = 0, 0
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &net.OpError{
			Op: "write", Net: w.conn.LocalAddr().Network(),
			Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(),
			Err: os.NewSyscallError("sendmmsg", errno),
		}
	}
	return n, nil
}

// writeFD makes the system call on the socket's descriptor, once: it
// reports that it is done, so that rc.Write never waits.
func (w *rawBatchWriter) writeFD(fd uintptr) bool {
	r, _, errno := syscall.RawSyscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&w.hdrs[0])), uintptr(w.count), uintptr(w.flags), 0, 0)
	if errno != 0 {
		w.n, w.errno = 0, errno
		return true
	}
	w.n, w.errno = int(r), 0
	return true
}
