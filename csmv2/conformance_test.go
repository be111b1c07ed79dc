package csmv2_test

import (
	"testing"

	"github.com/opencsm/csm-go/internal/report/conformance"
)

// TestConformance runs every case of the cross-SDK suite through the
// hand-made "CSM Test" aws-sdk-go-v2 client (client_test.go), at the lowest
// aws-sdk-go-v2 versions this module supports.
func TestConformance(t *testing.T) {
	conformance.Test(t, testSecretKey)
}
