package csm_test

import (
	"testing"

	awscsm "github.com/aws/aws-sdk-go/aws/csm"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/stretchr/testify/assert"

	"github.com/opencsm/csm-go/csm"
)

// The twelve exported names of aws-sdk-go v1's aws/csm, with their types:
// package csm is a drop-in replacement, so this file compiles with the
// import path of either package.
var (
	_ string                                            = csm.DefaultPort
	_ string                                            = csm.DefaultHost
	_ string                                            = csm.APICallMetricHandlerName
	_ string                                            = csm.APICallAttemptMetricHandlerName
	_ *int                                              = &csm.MetricsChannelSize
	_ func(host, port string) string                    = csm.AddressWithDefaults
	_ func() *csm.Reporter                              = csm.Get
	_ func(clientID, url string) (*csm.Reporter, error) = csm.Start
	_ func(*csm.Reporter)                               = (*csm.Reporter).Pause
	_ func(*csm.Reporter)                               = (*csm.Reporter).Continue
	_ func(*csm.Reporter, *request.Handlers)            = (*csm.Reporter).InjectHandlers
)

// TestDropInConstants: the handler names are the original's (TestDefaults
// checks the default address).
func TestDropInConstants(t *testing.T) {
	assert.Equal(t, awscsm.APICallMetricHandlerName, csm.APICallMetricHandlerName)
	assert.Equal(t, awscsm.APICallAttemptMetricHandlerName, csm.APICallAttemptMetricHandlerName)
}
