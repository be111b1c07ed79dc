package v2test

import (
	"testing"

	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// exitRuns is how many times TestExitDeliversEverything runs the program.
const exitRuns = 40

// TestExitDeliversEverything runs a program that makes one aws-sdk-go-v2 call
// through a config from csmv2.Enable and ends at once, without Flush, half of the times
// by returning from main and half by os.Exit, and checks that the agent, in
// this process, received both datagrams of every run (see
// reporttest.CheckExitDelivery).
func TestExitDeliversEverything(t *testing.T) {
	reporttest.CheckExitDelivery(t, "./testdata/onecall", exitRuns)
}

// TestExitDeliversEverythingAssumingRole is TestExitDeliversEverything for
// a program whose one call gets its credentials from an STS AssumeRole call
// made inside it, which ends right before it (see
// reporttest.CheckExitDeliveryAssumingRole): both calls' datagrams arrive.
func TestExitDeliversEverythingAssumingRole(t *testing.T) {
	reporttest.CheckExitDeliveryAssumingRole(t, "./testdata/onecall", exitRuns/2)
}

// TestExitDeliversEveryCall runs a program that makes several calls
// against a transport that answers at once, in the shapes short programs
// have, and ends at once, without Flush, half of the times by returning
// from main and half by os.Exit: the agent must receive both datagrams of
// every call of every run (see reporttest.CheckExitDeliveryOfCalls).
func TestExitDeliversEveryCall(t *testing.T) {
	reporttest.CheckExitDeliveryOfCalls(t, "./testdata/calls", exitCallRuns)
}

// exitCallRuns is how many times TestExitDeliversEveryCall runs the program
// in each shape.
const exitCallRuns = 20
