//go:build race

package csmv2

// raceEnabled is whether the tests run under the race detector.
const raceEnabled = true
