package report

import "fmt"

// A SettingError reports a CSM setting whose value cannot be used: a
// malformed AWS_CSM_ENABLED, a port that is not a number from 1 to 65535, a
// host that does not resolve, or a client ID or address other than those of
// the reporter already running. The public packages turn it into their own
// SettingError type.
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
