package report

// resetForTest stops the process's reporter and forgets it, so that a test
// can start another with other settings. Unlike Shutdown, it discards what
// is queued.
func resetForTest() {
	mu.Lock()
	rep := running
	running = nil
	mu.Unlock()
	if rep != nil {
		rep.close()
	}
}

// push writes m's record into the ring, without blocking, and reports
// whether there was room. It cuts m's strings to their limits.
func (q *queue) push(m *Metric) bool {
	ok, _, _ := q.add(m)
	return ok
}
