//go:build unix

package report

import (
	"io/fs"
	"syscall"
)

// readSettingsFile reads the file at path, of at most limit bytes (it
// reads one byte more, for the caller to see that the file is larger),
// without ever waiting: the file is opened and read non-blocking, so that a
// FIFO with no writer, a terminal or a device with nothing to read (such as
// /dev/ptmx) cannot hang the caller. It returns the type of the opened file
// and, unless it is a regular file or a character device, reads nothing.
// A read that would wait is errWouldBlock.
//
// It uses the system calls directly: an *os.File of a non-blocking
// descriptor waits in the runtime's poller instead of returning EAGAIN.
func readSettingsFile(path string, limit int64) ([]byte, fs.FileMode, error) {
	var fd int
	var err error
	for {
		// O_NOCTTY: a terminal opened here must not become the
		// process's controlling terminal.
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)

	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	mode := fileType(uint32(st.Mode))
	if !readableType(mode) {
		return nil, mode, nil
	}
	if mode.IsRegular() && st.Size > limit {
		return nil, mode, errTooLarge
	}
	size := int64(512)
	if mode.IsRegular() {
		size = st.Size + 1 // room to see the end of the file
	}
	if size > limit+1 {
		size = limit + 1
	}
	data := make([]byte, 0, size)
	for int64(len(data)) <= limit {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		end := int64(cap(data))
		if end > limit+1 {
			end = limit + 1
		}
		n, err := syscall.Read(fd, data[len(data):end])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return nil, mode, errWouldBlock
		case err != nil:
			return nil, mode, &fs.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return data, mode, nil
		}
		data = data[:len(data)+n]
	}
	return data, mode, nil
}

// fileType returns the type bits of a stat mode as an fs.FileMode.
func fileType(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}
