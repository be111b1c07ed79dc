package csm_test

import (
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csm"
)

// initialQueueCapacity is MetricsChannelSize before any test changes it.
var initialQueueCapacity = csm.MetricsChannelSize

// The default address and queue capacity are written out in package csm
// for its documentation. The address must stay the one aws-sdk-go's package
// declares; the capacity the one BENCHMARKS.md measured ("Callers saturating
// the CPU") and csmv2's, whose TestDefaults pins the same number.
func TestDefaults(t *testing.T) {
	assert.Equal(t, 4096, initialQueueCapacity)
	assert.Equal(t, awscsm.DefaultPort, csm.DefaultPort)
	assert.Equal(t, awscsm.DefaultHost, csm.DefaultHost)
	assert.Equal(t, csm.DefaultHost+":"+csm.DefaultPort, csm.AddressWithDefaults("", ""), "the reporter's defaults")
}
