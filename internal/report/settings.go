package report

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The environment variables that configure CSM.
const (
	envEnabled    = "AWS_CSM_ENABLED"
	envHost       = "AWS_CSM_HOST"
	envPort       = "AWS_CSM_PORT"
	envClientID   = "AWS_CSM_CLIENT_ID"
	envHTTPTiming = "AWS_CSM_HTTP_TIMING"
)

// The shared config file's keys that configure CSM.
const (
	keyEnabled    = "csm_enabled"
	keyHost       = "csm_host"
	keyPort       = "csm_port"
	keyClientID   = "csm_client_id"
	keyHTTPTiming = "csm_http_timing"
)

// csmProfile is the profile aws-sdk-go v1 reads the CSM keys from.
const csmProfile = "aws_csm"

// maxConfigFileSize is the most that is read of a shared config or
// credentials file; a larger file is a *SettingError. Real files are a few
// KiB: the bound keeps a path such as /dev/zero from exhausting memory.
const maxConfigFileSize = 1 << 20

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
	// HTTPTiming asks for the HTTP timing fields of ApiCallAttempt
	// metrics (AWS_CSM_HTTP_TIMING, csm_http_timing).
	HTTPTiming bool
}

// address returns the agent address the settings name.
func (s Settings) address() string {
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
//
// When AWS_CSM_ENABLED disables CSM (or is malformed), the files are not
// opened: nothing they hold could change the outcome. A file that does not exist is
// empty; one that exists and cannot be read (not a regular file or a character
// device, larger than 1 MiB, not readable, or a file whose read would wait
// for input, such as /dev/ptmx) is a *SettingError.
func LoadSettings() (Settings, error) {
	return LoadSettingsFrom(os.Getenv, true)
}

// LoadSettingsFrom is LoadSettings with the environment read through
// getenv, the paths of the shared files included, and the files read only
// if files is set.
func LoadSettingsFrom(getenv func(string) string, files bool) (Settings, error) {
	if v := getenv(envEnabled); v != "" {
		if on, err := parseEnvBool(v); err != nil || !on {
			files = false
		}
	}
	if !files {
		return parseSettings(getenv, configFile{}, configFile{})
	}
	config, credentials, err := readSharedFiles(getenv)
	if err != nil {
		return Settings{}, err
	}
	return parseSettings(getenv, config, credentials)
}

// readSharedFiles reads the shared config and credentials files.
func readSharedFiles(getenv func(string) string) (config, credentials configFile, err error) {
	if config, err = readConfigFile(getenv, "AWS_CONFIG_FILE", "config"); err != nil {
		return configFile{}, configFile{}, err
	}
	if credentials, err = readConfigFile(getenv, "AWS_SHARED_CREDENTIALS_FILE", "credentials"); err != nil {
		return configFile{}, configFile{}, err
	}
	return config, credentials, nil
}

// readConfigFile reads the file the environment variable env names, else
// ~/.aws/name. A file that does not exist counts as empty. The file is
// opened and read without waiting (see readSettingsFile): a file whose
// read would wait for input is a *SettingError, never a hang.
func readConfigFile(getenv func(string) string, env, name string) (configFile, error) {
	path := getenv(env)
	where := ""
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return configFile{}, nil
		}
		path = filepath.Join(home, ".aws", name)
		where = " (the default path: " + env + " is unset)"
	}
	fail := func(format string, args ...any) (configFile, error) {
		return configFile{}, &SettingError{Setting: env, Value: path, Err: fmt.Errorf(format+where, args...)}
	}
	// A character device is read, within the size bound: /dev/null is a
	// common way to give a program no shared files, and aws-sdk-go reads it
	// as empty.
	data, mode, err := readSettingsFile(path, maxConfigFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return configFile{path: path}, nil
	case errors.Is(err, errWouldBlock):
		return fail("%s whose read would wait for input, not a shared %s file: point %s at the shared %s file", describeMode(mode), name, env, name)
	case errors.Is(err, errTooLarge):
		return fail("larger than %d bytes: not a shared %s file", maxConfigFileSize, name)
	case err != nil:
		return fail("cannot read the shared %s file: %w", name, err)
	case !readableType(mode):
		return fail("%s, not a regular file: point %s at the shared %s file, or remove it", describeMode(mode), env, name)
	case len(data) > maxConfigFileSize:
		return fail("larger than %d bytes: not a shared %s file", maxConfigFileSize, name)
	}
	return configFile{path: path, data: data}, nil
}

// Why readSettingsFile read nothing.
var (
	errWouldBlock = errors.New("the read would wait for input")
	errTooLarge   = errors.New("the file is too large")
)

// readableType reports whether a file of type m is read as a shared file:
// a regular file or a character device.
func readableType(m fs.FileMode) bool {
	return m.IsRegular() || m&fs.ModeCharDevice != 0
}

// describeMode names the kind of file that is not a regular file.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0 || m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a file"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// parseSettings works out the settings from the environment (getenv) and the
// shared config and credentials files.
//
// A set AWS_CSM_ENABLED decides whether CSM is enabled. Otherwise
// csm_enabled, if a file sets it, decides; if none does, a non-empty
// AWS_CSM_HOST or AWS_CSM_PORT enables CSM, as the original package's
// documentation says.
//
// The other keys are then each taken on its own from the first of: the
// environment variable; the [aws_csm] profile (else [profile aws_csm]) of
// the credentials file, then of the config file, in aws-sdk-go's order;
// the active profile of the config file (AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else default), as the other SDKs do. An empty
// environment variable counts as unset. The other settings are checked only
// when CSM is enabled.
func parseSettings(getenv func(string) string, config, credentials configFile) (Settings, error) {
	look := newLookup(getenv, config, credentials)
	var s Settings
	on, set, err := look.boolean(envEnabled, keyEnabled)
	if err != nil {
		return Settings{}, err
	}
	s.Enabled = on || !set && (getenv(envHost) != "" || getenv(envPort) != "")
	if !s.Enabled {
		return Settings{}, nil
	}

	s.Host = look.setting(envHost, keyHost)
	s.Port = look.setting(envPort, keyPort)
	s.ClientID = look.setting(envClientID, keyClientID)
	if s.HTTPTiming, _, err = look.boolean(envHTTPTiming, keyHTTPTiming); err != nil {
		return Settings{}, err
	}
	return s.checked()
}

// lookup finds the CSM keys in the environment and the files.
type lookup struct {
	getenv func(string) string
	places []place // the sections to look in, in order
}

// place is a section of a file.
type place struct {
	path    string
	section string
	keys    map[string]iniValue
}

func newLookup(getenv func(string) string, config, credentials configFile) lookup {
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = getenv("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	l := lookup{getenv: getenv}
	// In each file, the first of the sections that exists, as aws-sdk-go
	// picks one.
	add := func(f configFile, sections iniSections, names ...string) {
		for _, name := range names {
			if keys, ok := sections[name]; ok {
				l.places = append(l.places, place{path: f.path, section: name, keys: keys})
				return
			}
		}
	}
	configSections, credentialSections := parseINI(config.data), parseINI(credentials.data)
	add(credentials, credentialSections, csmProfile, "profile "+csmProfile)
	add(config, configSections, csmProfile, "profile "+csmProfile)
	if profile == "default" {
		add(config, configSections, "default", "profile default")
	} else {
		add(config, configSections, "profile "+profile, profile)
	}
	return l
}

// file returns the value of key in the files and where it was found.
func (l lookup) file(key string) (iniValue, string, bool) {
	for _, p := range l.places {
		if v, ok := p.keys[key]; ok {
			return v, key + " in [" + p.section + "] of " + p.path, true
		}
	}
	return iniValue{}, "", false
}

// boolean reads the boolean setting env, else key: its value, and whether
// either is set. A value that is not a boolean is a SettingError.
func (l lookup) boolean(env, key string) (on, set bool, err error) {
	if v := l.getenv(env); v != "" {
		if on, err = parseEnvBool(v); err != nil {
			return false, true, &SettingError{Setting: env, Value: v, Err: err}
		}
		return on, true, nil
	}
	if v, from, ok := l.file(key); ok {
		if on, err = parseFileBool(v); err != nil {
			return false, true, &SettingError{Setting: from, Value: v.text, Err: err}
		}
		return on, true, nil
	}
	return false, false, nil
}

// setting returns the value of the environment variable env, else of key
// in the files.
func (l lookup) setting(env, key string) Setting {
	if v := l.getenv(env); v != "" {
		return Setting{Value: v, Source: env}
	}
	if v, from, ok := l.file(key); ok {
		return Setting{Value: v.text, Source: from}
	}
	return Setting{Source: env}
}

// checked returns s, or a *SettingError for its host or port: the values
// aws-sdk-go cannot use either. The port is kept as written ("031000"), as
// aws-sdk-go keeps it: the address names one agent for both.
func (s Settings) checked() (Settings, error) {
	if err := checkHost(s.Host, s.Port); err != nil {
		return Settings{}, &SettingError{Setting: s.Host.Source, Value: s.Host.Value, Err: err}
	}
	if s.Port.Value != "" {
		p, err := strconv.Atoi(s.Port.Value)
		if err != nil || p < 1 || p > 65535 || strings.TrimLeft(s.Port.Value, "0123456789") != "" {
			return Settings{}, &SettingError{Setting: s.Port.Source, Value: s.Port.Value,
				Err: errors.New("not a port number from 1 to 65535")}
		}
	}
	return s, nil
}

// checkHost returns what is wrong with a host that holds more than a host:
// white space, brackets or a port. aws-sdk-go's own CSM refuses them too.
func checkHost(host, port Setting) error {
	h := host.Value
	if h == "" {
		return nil
	}
	if strings.TrimSpace(h) != h {
		return errors.New("white space around the host: remove it")
	}
	if name, p, err := net.SplitHostPort(h); err == nil {
		portName := envPort
		if !strings.HasPrefix(host.Source, "AWS_") {
			portName = keyPort
		}
		return fmt.Errorf("a host with a port: put the host (%s) alone here and the port (%s) in %s", name, p, portName)
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		return fmt.Errorf("an IPv6 address in brackets: write it without them (%s)", strings.Trim(h, "[]"))
	}
	if strings.ContainsAny(h, "[]") {
		return errors.New("a bracket in the host: write a host name or an IP address, an IPv6 address without brackets")
	}
	return nil
}

// envBoolSpellings are the spellings strconv.ParseBool, which aws-sdk-go
// uses for AWS_CSM_ENABLED, accepts.
const envBoolSpellings = "true, false, 1, 0, t, f, T, F, TRUE, FALSE, True, False"

// parseEnvBool reads a boolean environment variable as aws-sdk-go reads
// AWS_CSM_ENABLED (strconv.ParseBool). aws-sdk-go reads every other value
// as false; here it is an error.
func parseEnvBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("not a boolean: use one of " + envBoolSpellings)
	}
	return b, nil
}

// parseFileBool reads a boolean key of the shared config file as aws-sdk-go
// reads csm_enabled: true or false in any case, not in quotes. aws-sdk-go
// reads other values as false (or true when they start with "true"); here
// they are an error.
func parseFileBool(v iniValue) (bool, error) {
	if !v.quoted {
		switch {
		case strings.EqualFold(v.text, "true"):
			return true, nil
		case strings.EqualFold(v.text, "false"):
			return false, nil
		}
	}
	return false, errors.New("not a boolean: use true or false (in any case, without quotes)")
}

// Start returns the reporter the settings ask for, starting it with a queue
// of capacity metrics if none runs. Its errors are *SettingError values
// that name the settings at fault.
func (s Settings) Start(capacity int) (*Reporter, error) {
	if err := checkRunning(s.ClientID.Value, s.address()); err != nil {
		return nil, s.blame(err)
	}
	if Get() == nil {
		if err := dialAgent(s.address()); err != nil {
			return nil, s.blame(err)
		}
	}
	rep, err := Start(s.ClientID.Value, s.address(), capacity)
	if err != nil {
		return nil, s.blame(err)
	}
	return rep, nil
}

// Check returns the error Start would return, without starting anything.
func (s Settings) Check() error {
	addr := s.address()
	err := checkRunning(s.ClientID.Value, addr)
	if err == nil {
		_, err = resolveAgent(addr)
	}
	if err == nil {
		err = dialAgent(addr)
	}
	if err != nil {
		return s.blame(err)
	}
	return nil
}

// dialAgent connects a UDP socket to the agent's address and closes it,
// which sends nothing. aws-sdk-go's own CSM does the same when it starts and
// fails the session when it cannot (a link-local address on the wrong
// interface, say): checking it here makes Enable refuse what NewSession
// cannot have.
func dialAgent(addr string) error {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// blame wraps an error of Start in a *SettingError that names the settings
// at fault.
func (s Settings) blame(err error) error {
	switch {
	case errors.Is(err, ErrClientIDMismatch):
		return &SettingError{Setting: s.ClientID.Source, Value: s.ClientID.Value, Err: err}
	case errors.Is(err, ErrAddressMismatch):
		return &SettingError{Setting: s.Host.Source + " and " + s.Port.Source, Value: s.address(), Err: err}
	default:
		// The port was checked when the settings were read, so what is
		// left to fail is the host.
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		} else if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return &SettingError{Setting: s.Host.Source, Value: s.Host.Value, Err: err}
	}
}
