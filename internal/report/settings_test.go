package report

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSettings(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		file    string
		creds   string // the shared credentials file
		want    Settings
		wantErr string // substring of the error; empty for none
	}{{
		name: "nothing set",
	}, {
		name: "environment",
		env:  map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "::1", "AWS_CSM_PORT": "31001", "AWS_CSM_CLIENT_ID": "env"},
		want: Settings{Enabled: true, Host: Setting{"::1", "AWS_CSM_HOST"}, Port: Setting{"31001", "AWS_CSM_PORT"}, ClientID: Setting{"env", "AWS_CSM_CLIENT_ID"}},
	}, {
		name: "bad values do not matter while disabled",
		env:  map[string]string{"AWS_CSM_ENABLED": "false", "AWS_CSM_PORT": "abc"},
		file: "[aws_csm]\ncsm_port = 0\n",
	}, {
		name: "AWS_CSM_ENABLED=true: the other keys from the files, as the suite requires",
		env:  map[string]string{"AWS_CSM_ENABLED": "true"},
		file: "[aws_csm]\ncsm_enabled = false\ncsm_port = 31002\ncsm_client_id = file\ncsm_http_timing = true\n",
		want: Settings{Enabled: true, Port: Setting{"31002", "csm_port in [aws_csm] of /cfg"}, ClientID: Setting{"file", "csm_client_id in [aws_csm] of /cfg"}, HTTPTiming: true},
	}, {
		name:  "credentials file",
		creds: "[default]\naws_access_key_id = x\n[aws_csm]\ncsm_enabled = true\ncsm_port = 31003\n",
		want:  Settings{Enabled: true, Port: Setting{"31003", "csm_port in [aws_csm] of /creds"}},
	}, {
		name:  "credentials file wins over config file, as in aws-sdk-go",
		file:  "[aws_csm]\ncsm_enabled = true\ncsm_port = 31004\ncsm_client_id = config\n",
		creds: "[aws_csm]\ncsm_port = 31003\n",
		want:  Settings{Enabled: true, Port: Setting{"31003", "csm_port in [aws_csm] of /creds"}, ClientID: Setting{"config", "csm_client_id in [aws_csm] of /cfg"}},
	}, {
		name:  "[aws_csm] of either file wins over the active profile",
		file:  "[default]\ncsm_port = 31004\n",
		creds: "[aws_csm]\ncsm_enabled = true\ncsm_port = 31003\n",
		want:  Settings{Enabled: true, Port: Setting{"31003", "csm_port in [aws_csm] of /creds"}},
	}, {
		name: "inline comments",
		file: "[aws_csm]\ncsm_enabled = true ; on\ncsm_port = 31005 # agent\ncsm_client_id = a#b\n",
		want: Settings{Enabled: true, Port: Setting{"31005", "csm_port in [aws_csm] of /cfg"}, ClientID: Setting{"a#b", "csm_client_id in [aws_csm] of /cfg"}},
	}, {
		name: "quoted values",
		file: "[aws_csm]\ncsm_enabled = true\ncsm_host = \"127.0.0.1\"\ncsm_client_id = \"my app\" ignored\n",
		want: Settings{Enabled: true, Host: Setting{"127.0.0.1", "csm_host in [aws_csm] of /cfg"}, ClientID: Setting{"my app", "csm_client_id in [aws_csm] of /cfg"}},
	}, {
		name: "colon separator",
		file: "[aws_csm]\ncsm_enabled: true\ncsm_port: 31007\n",
		want: Settings{Enabled: true, Port: Setting{"31007", "csm_port in [aws_csm] of /cfg"}},
	}, {
		name: "keys are case sensitive",
		file: "[aws_csm]\nCSM_ENABLED = true\n",
	}, {
		name: "a duplicated section is the later one",
		file: "[aws_csm]\ncsm_enabled = true\ncsm_port = 31008\n[aws_csm]\ncsm_client_id = second\n",
	}, {
		name: "file booleans in any case",
		file: "[aws_csm]\ncsm_enabled = TRUE\n",
		want: Settings{Enabled: true},
	}, {
		name:    "quoted file boolean",
		file:    "[aws_csm]\ncsm_enabled = \"true\"\n",
		wantErr: `csm: csm_enabled="true" in [aws_csm] of /cfg: not a boolean: use true or false`,
	}, {
		name:    "file boolean 1",
		file:    "[aws_csm]\ncsm_enabled = 1\n",
		wantErr: `csm: csm_enabled="1" in [aws_csm] of /cfg: not a boolean`,
	}, {
		name: "environment booleans as strconv.ParseBool spells them",
		env:  map[string]string{"AWS_CSM_ENABLED": "TRUE"},
		want: Settings{Enabled: true},
	}, {
		name:    "environment boolean in mixed case",
		env:     map[string]string{"AWS_CSM_ENABLED": "tRuE"},
		wantErr: `csm: AWS_CSM_ENABLED="tRuE": not a boolean`,
	}, {
		name:    "environment boolean with a space",
		env:     map[string]string{"AWS_CSM_ENABLED": " true"},
		wantErr: `csm: AWS_CSM_ENABLED=" true": not a boolean`,
	}, {
		name: "aws_csm profile",
		file: "[aws_csm]\ncsm_enabled = true\ncsm_port=31002\ncsm_client_id = file\n",
		want: Settings{Enabled: true, Port: Setting{"31002", "csm_port in [aws_csm] of /cfg"}, ClientID: Setting{"file", "csm_client_id in [aws_csm] of /cfg"}},
	}, {
		name: "profile aws_csm spelling",
		file: "[ profile aws_csm ]\ncsm_enabled = true\n",
		want: Settings{Enabled: true},
	}, {
		name: "[aws_csm] hides [profile aws_csm]",
		file: "[profile aws_csm]\ncsm_enabled = true\n[aws_csm]\ncsm_port = 31009\n",
	}, {
		name: "default profile",
		file: "[default]\nregion = us-west-2\ncsm_enabled = true\n",
		want: Settings{Enabled: true},
	}, {
		name: "active profile",
		env:  map[string]string{"AWS_PROFILE": "dev"},
		file: "[default]\ncsm_enabled = false\n[profile dev]\ncsm_enabled = true\n",
		want: Settings{Enabled: true},
	}, {
		name: "aws_csm wins over the active profile, key by key",
		file: "[default]\ncsm_enabled = true\ncsm_port = 1\ncsm_client_id = default\n[aws_csm]\ncsm_port = 2\n",
		want: Settings{Enabled: true, Port: Setting{"2", "csm_port in [aws_csm] of /cfg"}, ClientID: Setting{"default", "csm_client_id in [default] of /cfg"}},
	}, {
		name: "environment wins over the file, key by key",
		env:  map[string]string{"AWS_CSM_PORT": "31006", "AWS_CSM_CLIENT_ID": "env"},
		file: "[aws_csm]\ncsm_enabled = true\ncsm_port = 1\ncsm_client_id = file\ncsm_host = 127.0.0.2\n",
		want: Settings{Enabled: true, Host: Setting{"127.0.0.2", "csm_host in [aws_csm] of /cfg"}, Port: Setting{"31006", "AWS_CSM_PORT"}, ClientID: Setting{"env", "AWS_CSM_CLIENT_ID"}},
	}, {
		name: "environment disables what the file enables",
		env:  map[string]string{"AWS_CSM_ENABLED": "false"},
		file: "[aws_csm]\ncsm_enabled = true\n",
	}, {
		name: "empty environment value is unset",
		env:  map[string]string{"AWS_CSM_ENABLED": ""},
		file: "[aws_csm]\ncsm_enabled = true\n",
		want: Settings{Enabled: true},
	}, {
		name: "nested keys, comments and junk lines are skipped",
		file: "# comment\n; comment\n[aws_csm]\ns3 =\n  csm_enabled = false\nnot a key\n  csm_port = 1\ncsm_enabled = true\n[broken\ncsm_port = x\n",
		want: Settings{Enabled: true},
	}, {
		name: "HTTP timing from the environment",
		env:  map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HTTP_TIMING": "1"},
		want: Settings{Enabled: true, HTTPTiming: true},
	}, {
		name: "HTTP timing from the file",
		file: "[aws_csm]\ncsm_enabled = true\ncsm_http_timing = true\n",
		want: Settings{Enabled: true, HTTPTiming: true},
	}, {
		name: "HTTP timing: the environment wins over the file",
		env:  map[string]string{"AWS_CSM_PORT": "31000", "AWS_CSM_HTTP_TIMING": "false"},
		file: "[aws_csm]\ncsm_http_timing = true\n",
		want: Settings{Enabled: true, Port: Setting{"31000", "AWS_CSM_PORT"}},
	}, {
		name:    "malformed AWS_CSM_HTTP_TIMING",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HTTP_TIMING": "on"},
		wantErr: `csm: AWS_CSM_HTTP_TIMING="on": not a boolean: use one of true, false, 1, 0`,
	}, {
		name:    "malformed csm_http_timing",
		file:    "[aws_csm]\ncsm_enabled = true\ncsm_http_timing = yes\n",
		wantErr: `csm: csm_http_timing="yes" in [aws_csm] of /cfg: not a boolean`,
	}, {
		name:    "malformed AWS_CSM_ENABLED lists the accepted spellings",
		env:     map[string]string{"AWS_CSM_ENABLED": "yes"},
		wantErr: `csm: AWS_CSM_ENABLED="yes": not a boolean: use one of true, false, 1, 0, t, f, T, F, TRUE, FALSE, True, False`,
	}, {
		name:    "malformed csm_enabled",
		file:    "[aws_csm]\ncsm_enabled = on\n",
		wantErr: `csm: csm_enabled="on" in [aws_csm] of /cfg: not a boolean`,
	}, {
		name:    "port not a number",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_PORT": "abc"},
		wantErr: `csm: AWS_CSM_PORT="abc": not a port number from 1 to 65535`,
	}, {
		name:    "port with a space",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_PORT": " 31000"},
		wantErr: `csm: AWS_CSM_PORT=" 31000": not a port number`,
	}, {
		name:    "port out of range",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_PORT": "65536"},
		wantErr: `csm: AWS_CSM_PORT="65536": not a port number`,
	}, {
		name:    "port zero",
		file:    "[default]\ncsm_enabled = true\ncsm_port = 0\n",
		wantErr: `csm: csm_port="0" in [default] of /cfg: not a port number`,
	}, {
		name:    "host with a port",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "127.0.0.1:31000"},
		wantErr: `csm: AWS_CSM_HOST="127.0.0.1:31000": a host with a port: put the host (127.0.0.1) alone here and the port (31000) in AWS_CSM_PORT`,
	}, {
		name:    "file host with a port",
		file:    "[aws_csm]\ncsm_enabled = true\ncsm_host = [::1]:31000\n",
		wantErr: `csm: csm_host="[::1]:31000" in [aws_csm] of /cfg: a host with a port: put the host (::1) alone here and the port (31000) in csm_port`,
	}, {
		name:    "bracketed IPv6 host",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "[::1]"},
		wantErr: `csm: AWS_CSM_HOST="[::1]": an IPv6 address in brackets: write it without them (::1)`,
	}, {
		name:    "host with white space",
		env:     map[string]string{"AWS_CSM_ENABLED": "true", "AWS_CSM_HOST": "::1 "},
		wantErr: `csm: AWS_CSM_HOST="::1 ": white space around the host`,
	}}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			got, err := parseSettings(getenv, configFile{"/cfg", []byte(tc.file)}, configFile{"/creds", []byte(tc.creds)})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				var serr *SettingError
				assert.True(t, errors.As(err, &serr))
				return
			}
			require.NoError(t, err)
			if !tc.want.Enabled {
				assert.Equal(t, Settings{}, got, "disabled")
				return
			}
			// Sources of unset values are the environment variables' names.
			want := tc.want
			for _, s := range []struct {
				got  Setting
				want *Setting
				env  string
			}{{got.Host, &want.Host, envHost}, {got.Port, &want.Port, envPort}, {got.ClientID, &want.ClientID, envClientID}} {
				if s.want.Source == "" {
					s.want.Source = s.env
				}
			}
			assert.Equal(t, want, got)
		})
	}
}

func FuzzParseSettings(f *testing.F) {
	f.Add("true", "31000", "[aws_csm]\ncsm_enabled = true\ncsm_port = 31000\n")
	f.Add("", "", "[default]\ncsm_enabled=false\n  nested = x\n[profile aws_csm]\ncsm_client_id = é\n")
	f.Add("maybe", "-1", "[")
	f.Add("", "31000", "[aws_csm]\ncsm_enabled: TRUE\ncsm_host = \"::1\" # x\ncsm_client_id = \"a\\\"b\"\n[aws_csm]\n")
	f.Add("1", "", "[default]\r\ncsm_http_timing = true ; x\r\ncsm_host = [::1]:31000\r\n")
	f.Fuzz(func(t *testing.T, enabled, port, file string) {
		env := map[string]string{"AWS_CSM_ENABLED": enabled, "AWS_CSM_PORT": port}
		s, err := parseSettings(func(k string) string { return env[k] }, configFile{"/cfg", []byte(file)}, configFile{"/creds", []byte(file)})
		if err != nil {
			var serr *SettingError
			if !errors.As(err, &serr) {
				t.Fatalf("not a SettingError: %v", err)
			}
			// The value goes between the key and where it was found.
			key, where, _ := strings.Cut(serr.Setting, " in ")
			if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), where) {
				t.Fatalf("error does not name its setting: %v", err)
			}
			return
		}
		if s.Port.Value != "" {
			if p, err := strconv.Atoi(s.Port.Value); err != nil || p < 1 || p > 65535 {
				t.Fatalf("bad port accepted: %q", s.Port.Value)
			}
		}
		if h := s.Host.Value; strings.TrimSpace(h) != h || strings.ContainsAny(h, "[]") {
			t.Fatalf("host aws-sdk-go cannot use accepted: %q", h)
		}
		if !s.Enabled && s != (Settings{}) {
			t.Fatalf("settings of a disabled CSM: %+v", s)
		}
	})
}
