package csm

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

// configFile is a shared config or credentials file: its path and its
// contents.
type configFile struct {
	path string
	data []byte
}

// loadSettings reads the CSM settings from the environment, the shared config
// file (AWS_CONFIG_FILE, else ~/.aws/config) and the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
func loadSettings() (settings, error) {
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
func parseSettings(getenv func(string) string, config, credentials configFile) (settings, error) {
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

	lookup := func(env, key string) setting {
		if v := getenv(env); v != "" {
			return setting{value: v, source: env}
		}
		for _, p := range places {
			if v := sections[p.file.path][p.section][key]; v != "" {
				return setting{value: v, source: key + " in [" + p.section + "] of " + p.file.path}
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
	if !s.enabled {
		return settings{}, nil
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
