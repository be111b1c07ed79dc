package tail

import (
	"io"
	"sync/atomic"
)

// atomicWrite is the largest write a pipe takes whole or not at all
// (PIPE_BUF on Linux): a write of the lines of whole datagrams up to this
// size never leaves part of a datagram's lines in the pipe.
const atomicWrite = 4096

// lineWriter buffers the lines of datagrams and writes them to w in writes
// of whole datagrams, each of at most atomicWrite bytes unless one
// datagram's lines are longer, and counts the datagrams whose lines are
// not written yet: those a stuck writer keeps. It is for one goroutine;
// held may be read from any.
type lineWriter struct {
	w    io.Writer
	buf  []byte
	n    uint64        // datagrams whose lines are in buf
	held atomic.Uint64 // datagrams whose lines are in buf or being written
}

// add adds the lines of one datagram, writing what is buffered first if
// they do not fit.
func (lw *lineWriter) add(lines []byte) {
	if len(lw.buf)+len(lines) > atomicWrite {
		lw.flush()
	}
	// Nothing is written after the lines are added: while add waits for
	// a write, the datagram being added is not yet held here, and its
	// sink's runner counts it as being taken.
	lw.buf = append(lw.buf, lines...)
	lw.n++
	lw.held.Add(1)
}

// flush writes what is buffered.
func (lw *lineWriter) flush() {
	if len(lw.buf) == 0 {
		lw.held.Add(-lw.n)
		lw.n = 0
		return
	}
	_, _ = lw.w.Write(lw.buf)
	lw.held.Add(-lw.n)
	lw.buf, lw.n = lw.buf[:0], 0
}
