package csm

import "github.com/opencsm/csm-go/internal/report"

// A SettingError reports a CSM setting whose value cannot be used. Enable
// and NewSession return one for a malformed AWS_CSM_ENABLED or csm_enabled,
// a port that is not a number from 1 to 65535, a host that does not
// resolve or cannot be dialed, a shared config file that cannot be read, or
// a client ID or address other than those of the reporter already running.
//
// It is the same type as csmv2.SettingError, so one errors.As finds it
// whichever package returned it. Its fields:
//
//   - Setting: where the value came from: an environment variable such as
//     "AWS_CSM_PORT", or a key of the shared config file such as
//     "csm_port in [aws_csm] of /home/me/.aws/config".
//   - Value: the value as it was read.
//   - Err: what is wrong with it (Unwrap returns it).
type SettingError = report.SettingError
