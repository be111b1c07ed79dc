package report

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The environment variables that configure CSM.
const (
	envEnabled  = "AWS_CSM_ENABLED"
	envHost     = "AWS_CSM_HOST"
	envPort     = "AWS_CSM_PORT"
	envClientID = "AWS_CSM_CLIENT_ID"
)

// The shared config file's keys that configure CSM.
const (
	keyEnabled  = "csm_enabled"
	keyHost     = "csm_host"
	keyPort     = "csm_port"
	keyClientID = "csm_client_id"
)

// csmProfile is the profile aws-sdk-go v1 reads the CSM keys from.
const csmProfile = "aws_csm"

// Setting is one value and where it came from, for error messages.
type Setting struct {
	Value  string
	Source string // an environment variable, or a key, profile and file
}

// Settings is the CSM configuration of the process. Only Enabled is set
// when CSM is not enabled.
type Settings struct {
	Enabled  bool
	Host     Setting
	Port     Setting
	ClientID Setting
	// HTTPTiming is whether attempts carry the HTTP timing fields
	// (AWS_CSM_HTTP_TIMING, csm_http_timing).
	HTTPTiming bool
}

// Address returns the agent address the settings name.
func (s Settings) Address() string {
	return AddressWithDefaults(s.Host.Value, s.Port.Value)
}

// configFile is a shared config or credentials file: its path and its
// contents.
type configFile struct {
	path string
	data []byte
}

// LoadSettings reads the CSM settings from the environment, the shared config
// file (AWS_CONFIG_FILE, else ~/.aws/config) and the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
func LoadSettings() (Settings, error) {
	config := readConfigFile("AWS_CONFIG_FILE", "config")
	credentials := readConfigFile("AWS_SHARED_CREDENTIALS_FILE", "credentials")
	return parseSettings(os.Getenv, config, credentials)
}

// readConfigFile reads the file the environment variable env names, else
// ~/.aws/name. A file that is missing or cannot be read counts as empty, as
// it does for aws-sdk-go.
func readConfigFile(env, name string) configFile {
	path := os.Getenv(env)
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return configFile{}
		}
		path = filepath.Join(home, ".aws", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return configFile{path: path}
	}
	return configFile{path: path, data: data}
}

// parseSettings works out the settings from the environment (getenv) and the
// shared config and credentials files.
//
// Each key is taken on its own from the first of: the environment variable;
// in the config file, the [aws_csm] profile (also spelled [profile
// aws_csm]), then the active profile (AWS_PROFILE, else AWS_DEFAULT_PROFILE,
// else default); the [aws_csm] profile of the credentials file, which
// aws-sdk-go also reads. An empty value counts as unset. The other settings
// are checked only when CSM is enabled.
func parseSettings(getenv func(string) string, config, credentials configFile) (Settings, error) {
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = getenv("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	type place struct {
		file    configFile
		section string
	}
	// The sections to look in, in order.
	places := []place{{config, csmProfile}, {config, "profile " + csmProfile}}
	if profile == "default" {
		places = append(places, place{config, "default"}, place{config, "profile default"})
	} else {
		places = append(places, place{config, "profile " + profile}, place{config, profile})
	}
	places = append(places, place{credentials, csmProfile})
	sections := map[string]map[string]map[string]string{
		config.path:      configSections(config.data),
		credentials.path: configSections(credentials.data),
	}

	lookup := func(env, key string) Setting {
		if v := getenv(env); v != "" {
			return Setting{Value: v, Source: env}
		}
		for _, p := range places {
			if v := sections[p.file.path][p.section][key]; v != "" {
				return Setting{Value: v, Source: key + " in [" + p.section + "] of " + p.file.path}
			}
		}
		return Setting{Source: env}
	}

	var s Settings
	enabled := lookup(envEnabled, keyEnabled)
	if enabled.Value != "" {
		v, err := parseBool(enabled.Value)
		if err != nil {
			return Settings{}, &SettingError{Setting: enabled.Source, Value: enabled.Value, Err: err}
		}
		s.Enabled = v
	}
	if !s.Enabled {
		return Settings{}, nil
	}

	s.Host = lookup(envHost, keyHost)
	s.Host.Value = strings.TrimSpace(s.Host.Value)
	// Accept an IPv6 address in brackets, as it is written in a URL.
	if h := s.Host.Value; len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		s.Host.Value = h[1 : len(h)-1]
	}

	s.Port = lookup(envPort, keyPort)
	if s.Port.Value != "" {
		p, err := strconv.Atoi(strings.TrimSpace(s.Port.Value))
		if err != nil || p < 1 || p > 65535 {
			return Settings{}, &SettingError{Setting: s.Port.Source, Value: s.Port.Value,
				Err: errors.New("not a port number from 1 to 65535")}
		}
		s.Port.Value = strconv.Itoa(p)
	}

	s.ClientID = lookup(envClientID, keyClientID)
	return s, nil
}

// parseBool accepts what strconv.ParseBool accepts and "true" or "false" in
// any case, as the other SDKs do.
func parseBool(v string) (bool, error) {
	v = strings.TrimSpace(v)
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New(`not a boolean: use "true" or "false"`)
	}
	return b, nil
}

// Start returns the reporter the settings ask for, starting it with a queue
// of capacity metrics if none runs. Its errors are *SettingError values
// that name the settings at fault.
func (s Settings) Start(capacity int) (*Reporter, error) {
	rep, err := Start(s.ClientID.Value, s.Address(), capacity)
	if err != nil {
		return nil, s.blame(err)
	}
	return rep, nil
}

// Check returns the error Start would return, without starting anything.
func (s Settings) Check() error {
	addr := s.Address()
	err := CheckRunning(s.ClientID.Value, addr)
	if err == nil {
		_, err = resolveAgent(addr)
	}
	if err != nil {
		return s.blame(err)
	}
	return nil
}

// blame wraps an error of Start in a *SettingError that names the settings
// at fault.
func (s Settings) blame(err error) error {
	var mismatch *MismatchError
	switch {
	case errors.As(err, &mismatch) && mismatch.What == "client ID":
		return &SettingError{Setting: s.ClientID.Source, Value: s.ClientID.Value, Err: mismatch}
	case errors.As(err, &mismatch):
		return &SettingError{Setting: s.Host.Source + " and " + s.Port.Source, Value: s.Address(), Err: mismatch}
	default:
		// The port was checked when the settings were read, so what is
		// left to fail is the host.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return &SettingError{Setting: s.Host.Source, Value: s.Host.Value, Err: err}
	}
}
