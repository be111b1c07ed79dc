package csm_test

import (
	"reflect"
	"testing"

	"github.com/opencsm/csm-go/csm"
	"github.com/opencsm/csm-go/internal/report/reporttest"
)

// TestDocListsFields: Stats and SettingError are aliases of report's
// types, for which go doc shows no fields; their doc comments here say what
// each field means.
func TestDocListsFields(t *testing.T) {
	reporttest.CheckDocListsFields(t, "Stats", reflect.TypeOf(csm.Stats{}))
	reporttest.CheckDocListsFields(t, "SettingError", reflect.TypeOf(csm.SettingError{}))
}
