package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInModuleCache(t *testing.T) {
	for dir, want := range map[string]bool{
		"/root/go/pkg/mod/github.com/opencsm/csm-go@v0.1.0/csm":        true,
		"/root/go/pkg/mod/github.com/opencsm/csm-go/csmv2@v0.2.0-rc.1": true,
		"/home/me/src/csm-go/csm":                                      false,
		"/home/me@example/src/csm-go/csm":                              false,
		"/home/me/src/csm-go@vnext/csm":                                false,
	} {
		assert.Equal(t, want, inModuleCache(dir), dir)
	}
}
