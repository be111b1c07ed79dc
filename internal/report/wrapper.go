package report

import "sync"

// Wrapper holds the one value a package makes for the process's reporter,
// such as the *Reporter of package csm, so that Start and Get return the
// same value for as long as the same reporter runs. Its zero value is ready
// to use; it is safe for concurrent use.
type Wrapper[T any] struct {
	mu sync.Mutex
	r  *Reporter
	w  *T
}

// Wrap returns the value that newValue made for r, making it on the first
// call for r: the same value every time for the same r, and nil for a nil
// r. A reporter started after a Shutdown gets a value of its own.
func (c *Wrapper[T]) Wrap(r *Reporter, newValue func(*Reporter) *T) *T {
	if r == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r != r {
		c.r, c.w = r, newValue(r)
	}
	return c.w
}
