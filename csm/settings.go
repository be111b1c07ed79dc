package csm

import (
	"errors"
	"io/fs"
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

// setting is one value and where it came from, for error messages.
type setting struct {
	value  string
	source string
}

// settings is the CSM configuration of the process.
type settings struct {
	enabled  bool
	host     setting
	port     setting
	clientID setting
}

// address returns the agent address the settings name.
func (s settings) address() string {
	return AddressWithDefaults(s.host.value, s.port.value)
}

// loadSettings reads the CSM settings from the environment and the shared
// config file (AWS_CONFIG_FILE, else ~/.aws/config).
func loadSettings() (settings, error) {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, ".aws", "config")
		}
	}
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return settings{}, &SettingError{Setting: "AWS_CONFIG_FILE", Value: path, Err: err}
		}
	}
	return parseSettings(os.Getenv, path, data)
}

// parseSettings works out the settings from the environment (getenv) and
// the contents of the shared config file at path.
//
// Each key is taken on its own from the first of: the environment variable,
// the [aws_csm] profile (also spelled [profile aws_csm]), the active profile
// (AWS_PROFILE, else AWS_DEFAULT_PROFILE, else default). An empty value
// counts as unset.
func parseSettings(getenv func(string) string, path string, data []byte) (settings, error) {
	sections := configSections(data)
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = getenv("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	// The section names to look in, in order.
	names := []string{csmProfile, "profile " + csmProfile}
	if profile == "default" {
		names = append(names, "default", "profile default")
	} else {
		names = append(names, "profile "+profile, profile)
	}

	lookup := func(env, key string) setting {
		if v := getenv(env); v != "" {
			return setting{value: v, source: env}
		}
		for _, name := range names {
			if v := sections[name][key]; v != "" {
				return setting{value: v, source: key + " in [" + name + "] of " + path}
			}
		}
		return setting{source: env}
	}

	var s settings
	enabled := lookup(envEnabled, keyEnabled)
	if enabled.value != "" {
		v, err := parseBool(enabled.value)
		if err != nil {
			return settings{}, &SettingError{Setting: enabled.source, Value: enabled.value, Err: err}
		}
		s.enabled = v
	}

	s.host = lookup(envHost, keyHost)
	s.host.value = strings.TrimSpace(s.host.value)
	// Accept an IPv6 address in brackets, as it is written in a URL.
	if h := s.host.value; len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		s.host.value = h[1 : len(h)-1]
	}

	s.port = lookup(envPort, keyPort)
	if s.port.value != "" {
		p, err := strconv.Atoi(strings.TrimSpace(s.port.value))
		if err != nil || p < 1 || p > 65535 {
			return settings{}, &SettingError{Setting: s.port.source, Value: s.port.value,
				Err: errors.New("not a port number from 1 to 65535")}
		}
		s.port.value = strconv.Itoa(p)
	}

	s.clientID = lookup(envClientID, keyClientID)
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
