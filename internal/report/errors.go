package report

import (
	"fmt"
	"strings"
)

// A SettingError reports a CSM setting whose value cannot be used: a
// malformed AWS_CSM_ENABLED or csm_enabled, a port that is not a number
// from 1 to 65535, a host that does not resolve or cannot be dialed, a
// shared config file that cannot be read, or a client ID or address other
// than those of the reporter already running. Packages csm and csmv2 name
// it too (their SettingError is this type), so one errors.As finds it
// whichever package returned it.
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

// Error returns the setting, its value and what is wrong with it, the value
// next to its key: `csm: csm_port="abc" in [aws_csm] of /home/me/.aws/config:
// ...`.
func (e *SettingError) Error() string {
	if key, where, ok := strings.Cut(e.Setting, " in "); ok && !strings.Contains(e.Setting, " and ") {
		return fmt.Sprintf("csm: %s=%q in %s: %v", key, e.Value, where, e.Err)
	}
	return fmt.Sprintf("csm: %s=%q: %v", e.Setting, e.Value, e.Err)
}

// Unwrap returns the underlying error.
func (e *SettingError) Unwrap() error { return e.Err }
