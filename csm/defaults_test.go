package csm_test

import (
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report"
)

// initialQueueCapacity is MetricsChannelSize before any test changes it.
var initialQueueCapacity = csm.MetricsChannelSize

// The default address and queue capacity are written out in package csm
// for its documentation; they must stay those the reporter uses, and the
// address the one aws-sdk-go's package declares.
func TestDefaults(t *testing.T) {
	assert.Equal(t, report.DefaultQueueCapacity, initialQueueCapacity)
	assert.Equal(t, awscsm.DefaultPort, csm.DefaultPort)
	assert.Equal(t, awscsm.DefaultHost, csm.DefaultHost)
	assert.Equal(t, csm.DefaultHost+":"+csm.DefaultPort, csm.AddressWithDefaults("", ""), "the reporter's defaults")
}
