package csm_test

import (
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/report"
)

// The default address is written out in package csm for its documentation;
// it must stay the one the reporter uses and the one aws-sdk-go's package
// declares.
func TestDefaultAddress(t *testing.T) {
	assert.Equal(t, report.DefaultPort, csm.DefaultPort)
	assert.Equal(t, report.DefaultHost, csm.DefaultHost)
	assert.Equal(t, awscsm.DefaultPort, csm.DefaultPort)
	assert.Equal(t, awscsm.DefaultHost, csm.DefaultHost)
	assert.Equal(t, csm.DefaultHost+":"+csm.DefaultPort, csm.AddressWithDefaults("", ""))
}
