//go:build !unix

package report

import (
	"io"
	"io/fs"
	"os"
)

// readSettingsFile reads the file at path, of at most limit bytes (it
// reads one byte more, for the caller to see that the file is larger). It
// returns the type of the file and, unless it is a regular file or a
// character device, reads nothing. On Unix systems the file is opened and
// read non-blocking (settings_read_unix.go).
func readSettingsFile(path string, limit int64) ([]byte, fs.FileMode, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	mode := info.Mode().Type()
	if !readableType(mode) {
		return nil, mode, nil
	}
	if mode.IsRegular() && info.Size() > limit {
		return nil, mode, errTooLarge
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, mode, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	return data, mode, err
}
