package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newRepo makes a git repository with a root module, a released nested
// module and an unreleased module nested in that one, commits it, and then
// changes the working tree: the proxy must show none of the changes.
func newRepo(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":              "module example.com/r\n\ngo 1.19\n",
		"LICENSE":             "root license\n",
		"a.go":                "package r\n",
		"sub/b.go":            "package sub\n",
		"nested/go.mod":       "module example.com/r/nested\n\ngo 1.19\n\nrequire example.com/r v1.2.3\n",
		"nested/c.go":         "package nested\n",
		"nested/inner/go.mod": "module example.com/r/nested/inner\n\ngo 1.19\n",
		"nested/inner/d.go":   "package inner\n",
	}
	for name, data := range extra {
		files[name] = data
	}
	for name, data := range files {
		write(t, filepath.Join(dir, name), data)
	}
	run(t, dir, "git", "init", "-q")
	run(t, dir, "git", "add", "-A")
	run(t, dir, "git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "r")

	write(t, filepath.Join(dir, "a.go"), "package r // changed, not committed\n")
	write(t, filepath.Join(dir, "untracked.go"), "package r\n")
	write(t, filepath.Join(dir, "nested", "untracked.go"), "package nested\n")
	return dir
}

func write(t *testing.T, name, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
	require.NoError(t, os.WriteFile(name, []byte(data), 0o644))
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}

// zipFiles returns the zip's files by name, with their contents.
func zipFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(name)
	require.NoError(t, err)
	defer zr.Close()
	got := make(map[string]string)
	for _, f := range zr.File {
		r, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(r)
		require.NoError(t, err)
		r.Close()
		got[f.Name] = string(data)
	}
	return got
}

func TestBuild(t *testing.T) {
	repo := newRepo(t, nil)
	out := t.TempDir()
	built, err := Build(Config{Repo: repo, Rev: "HEAD", Version: "v1.2.3", Out: out,
		Modules: []string{".", "nested"}, Unreleased: []string{"nested/inner"}})
	require.NoError(t, err)
	require.Len(t, built, 2)
	assert.Equal(t, Module{Path: "example.com/r", Dir: ".", Files: []string{"LICENSE", "a.go", "go.mod", "sub/b.go"}}, built[0])
	assert.Equal(t, Module{Path: "example.com/r/nested", Dir: "nested", Files: []string{"LICENSE", "c.go", "go.mod"}}, built[1])

	root := filepath.Join(out, "example.com", "r", "@v")
	assert.Equal(t, map[string]string{
		"example.com/r@v1.2.3/LICENSE":  "root license\n",
		"example.com/r@v1.2.3/a.go":     "package r\n",
		"example.com/r@v1.2.3/go.mod":   "module example.com/r\n\ngo 1.19\n",
		"example.com/r@v1.2.3/sub/b.go": "package sub\n",
	}, zipFiles(t, filepath.Join(root, "v1.2.3.zip")), "the committed files of the root module, none of a nested module")
	nested := filepath.Join(out, "example.com", "r", "nested", "@v")
	assert.Equal(t, map[string]string{
		"example.com/r/nested@v1.2.3/LICENSE": "root license\n",
		"example.com/r/nested@v1.2.3/c.go":    "package nested\n",
		"example.com/r/nested@v1.2.3/go.mod":  "module example.com/r/nested\n\ngo 1.19\n\nrequire example.com/r v1.2.3\n",
	}, zipFiles(t, filepath.Join(nested, "v1.2.3.zip")), "the nested module's files and the repository's LICENSE")

	for dir, goMod := range map[string]string{root: "go.mod", nested: "nested/go.mod"} {
		mod, err := os.ReadFile(filepath.Join(dir, "v1.2.3.mod"))
		require.NoError(t, err)
		want, err := exec.Command("git", "-C", repo, "show", "HEAD:"+goMod).Output()
		require.NoError(t, err)
		assert.Equal(t, string(want), string(mod))

		list, err := os.ReadFile(filepath.Join(dir, "list"))
		require.NoError(t, err)
		assert.Equal(t, "v1.2.3\n", string(list))

		data, err := os.ReadFile(filepath.Join(dir, "v1.2.3.info"))
		require.NoError(t, err)
		var info struct{ Version, Time string }
		require.NoError(t, json.Unmarshal(data, &info))
		assert.Equal(t, "v1.2.3", info.Version)
		assert.NotEmpty(t, info.Time)
	}
	assert.NoDirExists(t, filepath.Join(out, "example.com", "r", "nested", "inner"), "an unreleased module is not in the proxy")

	// A second version is added to the list, not put in its place.
	_, err = Build(Config{Repo: repo, Rev: "HEAD", Version: "v1.3.0", Out: out,
		Modules: []string{".", "nested"}, Unreleased: []string{"nested/inner"}})
	require.NoError(t, err)
	list, err := os.ReadFile(filepath.Join(root, "list"))
	require.NoError(t, err)
	assert.Equal(t, "v1.2.3\nv1.3.0\n", string(list))
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name       string
		extra      map[string]string
		version    string
		modules    []string
		unreleased []string
		want       string
	}{
		{
			name:    "a module neither released nor unreleased",
			version: "v1.2.3", modules: []string{".", "nested"},
			want: "nested/inner/go.mod: a module that is neither released nor listed as unreleased",
		},
		{
			name:    "a released directory without go.mod",
			version: "v1.2.3", modules: []string{".", "nested", "sub"}, unreleased: []string{"nested/inner"},
			want: "sub/go.mod: no go.mod in the commit",
		},
		{
			name:    "a released module that requires an unreleased one",
			extra:   map[string]string{"nested/go.mod": "module example.com/r/nested\n\ngo 1.19\n\nrequire example.com/r/nested/inner v1.2.3\n"},
			version: "v1.2.3", modules: []string{".", "nested"}, unreleased: []string{"nested/inner"},
			want: "requires example.com/r/nested/inner, a module that is never released",
		},
		{
			name:    "not a semantic version",
			version: "1.2.3", modules: []string{"."}, unreleased: []string{"nested", "nested/inner"},
			want: `version "1.2.3": not a canonical semantic version`,
		},
		{
			name:    "a major version the module path does not have",
			version: "v2.0.0", modules: []string{"."}, unreleased: []string{"nested", "nested/inner"},
			want: "v2.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newRepo(t, tt.extra)
			_, err := Build(Config{Repo: repo, Rev: "HEAD", Version: tt.version, Out: t.TempDir(),
				Modules: tt.modules, Unreleased: tt.unreleased})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
