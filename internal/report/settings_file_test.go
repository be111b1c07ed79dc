package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolate empties the CSM and profile variables and points both shared
// files at paths that do not exist.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{envEnabled, envHost, envPort, envClientID, envHTTPTiming, "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("HOME", dir)
	return dir
}

// TestLoadSettingsUnreadableFiles: a shared file that exists but is not a
// regular file of a sane size is a SettingError naming the file. The file
// is opened and read without waiting: a FIFO with no writer would block the
// open for ever, /dev/ptmx the read.
func TestLoadSettingsUnreadableFiles(t *testing.T) {
	dir := isolate(t)
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, []byte("[aws_csm]\ncsm_enabled = true\n"+strings.Repeat("#\n", maxConfigFileSize)), 0o600))

	cases := []struct {
		name, env, path, want string
	}{
		{"FIFO as config", "AWS_CONFIG_FILE", fifo, "a named pipe, not a regular file"},
		{"/dev/zero as config", "AWS_CONFIG_FILE", "/dev/zero", "larger than 1048576 bytes"},
		{"directory as config", "AWS_CONFIG_FILE", dir, "a directory, not a regular file"},
		{"directory as credentials", "AWS_SHARED_CREDENTIALS_FILE", dir, "not a regular file"},
		{"too large", "AWS_CONFIG_FILE", big, "larger than 1048576 bytes"},
		// A terminal's master side, which nothing writes to: its read
		// would wait for ever.
		{"/dev/ptmx as config", "AWS_CONFIG_FILE", "/dev/ptmx", "a device whose read would wait for input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skipf("no %s here: %v", tc.path, err)
			}
			t.Setenv(tc.env, tc.path)
			_, err := LoadSettings()
			var serr *SettingError
			require.True(t, errors.As(err, &serr), "got %v", err)
			assert.Equal(t, tc.env, serr.Setting)
			assert.Equal(t, tc.path, serr.Value)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestLoadSettingsByteOrderMark: a config file that starts with a UTF-8
// byte order mark is read without it.
func TestLoadSettingsByteOrderMark(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(path, []byte("\uFEFF[aws_csm]\ncsm_enabled = true\ncsm_port = 31234\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", path)
	s, err := LoadSettings()
	require.NoError(t, err)
	assert.True(t, s.Enabled)
	assert.Equal(t, "127.0.0.1:31234", s.address())
}

// TestLoadSettingsEnvironmentDecides: with AWS_CSM_ENABLED=false (or
// malformed) the files are not opened, so a FIFO or /dev/zero in their
// place does no harm; with AWS_CSM_ENABLED=true they are read for the
// other keys, and refused.
func TestLoadSettingsEnvironmentDecides(t *testing.T) {
	dir := isolate(t)
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	t.Setenv("AWS_CONFIG_FILE", fifo)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/zero")

	t.Setenv(envEnabled, "false")
	s, err := LoadSettings()
	require.NoError(t, err)
	assert.False(t, s.Enabled)

	t.Setenv(envEnabled, "maybe")
	_, err = LoadSettings()
	assert.ErrorContains(t, err, `AWS_CSM_ENABLED="maybe"`)

	t.Setenv(envEnabled, "true")
	_, err = LoadSettings()
	assert.ErrorContains(t, err, `AWS_CONFIG_FILE="`+fifo+`": a named pipe, not a regular file`)
}

// TestLoadSettingsDevNull: /dev/null, a common way to give a program no
// shared files, is an empty file, as aws-sdk-go reads it.
func TestLoadSettingsDevNull(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	s, err := LoadSettings()
	require.NoError(t, err)
	assert.False(t, s.Enabled)

	t.Setenv(envPort, "31000")
	s, err = LoadSettings()
	require.NoError(t, err)
	assert.True(t, s.Enabled)
}

// TestLoadSettingsMissingFiles: files that do not exist are empty.
func TestLoadSettingsMissingFiles(t *testing.T) {
	dir := isolate(t)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no", "config"))
	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(plain, nil, 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(plain, "credentials"))
	s, err := LoadSettings()
	require.NoError(t, err)
	assert.False(t, s.Enabled)
}

// TestEnabledCombinations: AWS_CSM_ENABLED decides when set; else
// csm_enabled when a file sets it; else a non-empty AWS_CSM_HOST or
// AWS_CSM_PORT enables CSM.
func TestEnabledCombinations(t *testing.T) {
	tristate := []string{"", "true", "false"}
	for _, envEnabledValue := range tristate {
		for _, fileEnabled := range tristate {
			for _, host := range []string{"", "127.0.0.1"} {
				for _, port := range []string{"", "31000"} {
					want := host != "" || port != ""
					if fileEnabled != "" {
						want = fileEnabled == "true"
					}
					if envEnabledValue != "" {
						want = envEnabledValue == "true"
					}
					env := map[string]string{envEnabled: envEnabledValue, envHost: host, envPort: port}
					file := ""
					if fileEnabled != "" {
						file = "[aws_csm]\ncsm_enabled = " + fileEnabled + "\n"
					}
					s, err := parseSettings(func(k string) string { return env[k] }, configFile{"/cfg", []byte(file)}, configFile{})
					require.NoError(t, err)
					assert.Equal(t, want, s.Enabled, "AWS_CSM_ENABLED=%q csm_enabled=%q AWS_CSM_HOST=%q AWS_CSM_PORT=%q", envEnabledValue, fileEnabled, host, port)
					if want {
						assert.Equal(t, AddressWithDefaults(host, port), s.address())
					}
				}
			}
		}
	}
}

// TestSettingsCheckDialsLikeTheSDK: an address that resolves but cannot
// be dialed (a link-local address scoped to the loopback interface) is
// refused, as aws-sdk-go refuses it.
func TestSettingsCheckDialsLikeTheSDK(t *testing.T) {
	s := Settings{Enabled: true, Host: Setting{"fe80::1%lo", envHost}}
	if dialAgent(s.address()) == nil {
		t.Skip("this machine can dial fe80::1%lo")
	}
	err := s.Check()
	var serr *SettingError
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Equal(t, envHost, serr.Setting)
	assert.Equal(t, "fe80::1%lo", serr.Value)
	_, err = s.Start(16)
	require.True(t, errors.As(err, &serr), "got %v", err)
	assert.Nil(t, Get())
}

func TestParseINI(t *testing.T) {
	got := parseINI([]byte("top = 1\n[ a ]\nk = v\nK = V\nq = \"x \\\"y\\\" \\\\ z\" tail\nc: d=e\n" +
		"cm = one ; two\nhash = a#b\nopen = \"no end\nempty =\n  nested = 1\ntab = \tv \n[a]\nlater = 1\n[b\nk = lost\n[c]\r\ncr = 1\r\n"))
	assert.Equal(t, iniSections{
		"a": {"later": {text: "1"}},
		"c": {"cr": {text: "1"}},
	}, got)
	got = parseINI([]byte("[a]\nk = v\nK = V\nq = \"x \\\"y\\\" \\\\ z\" tail\nc: d=e\ncm = one ; two\nhash = a#b\nempty =\n  nested = 1\nafter = 2\n"))
	assert.Equal(t, iniSections{"a": {
		"k": {text: "v"}, "K": {text: "V"}, "q": {text: `x "y" \ z`, quoted: true}, "c": {text: "d=e"},
		"cm": {text: "one"}, "hash": {text: "a#b"}, "after": {text: "2"},
	}}, got)
}
