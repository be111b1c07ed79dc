package csmv2

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opencsm/csm-go/internal/report"
)

// Enable turns on CSM for the clients made from cfg afterwards, as the CSM
// settings of the environment and the shared config file ask (see the
// package documentation): it starts the process's reporter or reuses the
// running one, and appends its middleware to cfg.APIOptions.
//
// Enable returns nil, nil when the settings do not enable CSM. It returns a
// *SettingError, and leaves cfg as it was, when a setting is malformed or
// conflicts with the running reporter: the clients work without
// monitoring. Enabling the same config twice adds the middleware once per
// call, which the middleware tolerates (it installs itself once per stack).
func Enable(cfg *aws.Config) (*Reporter, error) {
	if cfg == nil {
		return nil, errors.New("csmv2: Enable needs a config, got nil")
	}
	s, err := report.LoadSettings()
	if err != nil || !s.Enabled {
		return nil, err
	}
	r, err := s.Start(MetricsChannelSize)
	if err != nil {
		return nil, err
	}
	rep := wrap(r)
	if s.HTTPTiming {
		cfg.APIOptions = append(cfg.APIOptions, rep.addTimedMiddleware)
	} else {
		cfg.APIOptions = append(cfg.APIOptions, rep.AddMiddleware)
	}
	return rep, nil
}

// A SettingError reports a CSM setting whose value cannot be used: a
// malformed AWS_CSM_ENABLED or csm_enabled, a port that is not a number
// from 1 to 65535, a host that does not resolve or cannot be dialed, a
// shared config file that cannot be read, or a client ID or address other
// than those of the reporter already running.
//
// It is the same type as csm.SettingError, so one errors.As finds it
// whichever package returned it. Its fields:
//
//   - Setting: where the value came from: an environment variable such as
//     "AWS_CSM_PORT", or a key of the shared config file such as
//     "csm_port in [aws_csm] of /home/me/.aws/config".
//   - Value: the value as it was read.
//   - Err: what is wrong with it (Unwrap returns it).
type SettingError = report.SettingError
