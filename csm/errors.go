package csm

import (
	"fmt"

	"github.com/opencsm/csm-go/report"
)

// A SettingError reports a CSM setting whose value cannot be used. Enable
// and NewSession return one for a malformed AWS_CSM_ENABLED, a port that is
// not a number from 1 to 65535, a host that does not resolve, or a client ID
// or address other than those of the reporter already running.
type SettingError struct {
	// Setting names where the value came from: an environment variable
	// such as "AWS_CSM_PORT", or a key of the shared config file such as
	// "csm_port in [aws_csm] of /home/me/.aws/config".
	Setting string
	// Value is the value as it was read.
	Value string
	// Err says what is wrong with it.
	Err error
}

// Error returns the setting, its value and what is wrong with it.
func (e *SettingError) Error() string {
	return fmt.Sprintf("csm: %s=%q: %v", e.Setting, e.Value, e.Err)
}

// Unwrap returns the underlying error.
func (e *SettingError) Unwrap() error { return e.Err }

// settingError turns the *report.SettingError values in err into a
// *SettingError; other errors are returned as they are.
func settingError(err error) error {
	if e, ok := err.(*report.SettingError); ok {
		return &SettingError{Setting: e.Setting, Value: e.Value, Err: e.Err}
	}
	return err
}
