package csmv2

// SetSendsTokenForTest makes rep act as if its agent were, or were not,
// on a loopback address.
func SetSendsTokenForTest(rep *Reporter, send bool) { rep.r.SetSendsTokenForTest(send) }

// ClassifyForTest is classify.
var ClassifyForTest = classify

// RetriesExhaustedForTest is retriesExhausted.
var RetriesExhaustedForTest = retriesExhausted
