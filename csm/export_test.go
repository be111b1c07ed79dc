package csm

import "github.com/opencsm/csm-go/internal/report"

// ResetForTest stops the process's reporter and forgets it, so that the next
// test can start another with other settings.
func ResetForTest() { report.ResetForTest() }

// SendsTokenForTest reports whether rep puts session tokens in attempts.
func SendsTokenForTest(rep *Reporter) bool { return rep.r.SendsToken() }

// SetSendsTokenForTest makes rep act as if its agent were, or were not, on
// a loopback address.
func SetSendsTokenForTest(rep *Reporter, send bool) { rep.r.SetSendsTokenForTest(send) }
