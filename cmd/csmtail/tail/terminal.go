package tail

import (
	"os"

	"golang.org/x/term"
)

// UseTerminal sets the terminal fields of e when out is a terminal: the live
// view is shown there, fitted to its size, and, when in is a terminal too,
// it reads the live view's keys from in in raw mode. Otherwise it leaves e
// as it is.
func (e *Env) UseTerminal(out, in *os.File) {
	fd := int(out.Fd())
	if !term.IsTerminal(fd) {
		return
	}
	e.Terminal = true
	e.TermSize = func() (int, int, error) { return term.GetSize(fd) }
	keys := int(in.Fd())
	if !term.IsTerminal(keys) {
		return
	}
	e.Keys = in
	e.MakeRaw = func() (func(), error) {
		old, err := term.MakeRaw(keys)
		if err != nil {
			return nil, err
		}
		return func() { _ = term.Restore(keys, old) }, nil
	}
}
