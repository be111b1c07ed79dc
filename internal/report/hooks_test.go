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
