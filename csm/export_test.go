package csm

// ResetForTest stops the process's reporter and forgets it, so that the next
// test can start another with other settings.
func ResetForTest() {
	mu.Lock()
	rep := reporter
	reporter = nil
	mu.Unlock()
	if rep != nil {
		rep.close()
	}
}

// SendsTokenForTest reports whether rep puts session tokens in attempts.
func SendsTokenForTest(rep *Reporter) bool { return rep.sendToken }

// SetSendsTokenForTest makes rep act as if its agent were, or were not, on
// a loopback address.
func SetSendsTokenForTest(rep *Reporter, send bool) { rep.sendToken = send }
