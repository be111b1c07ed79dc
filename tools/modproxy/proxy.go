package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// Config says what Build builds.
type Config struct {
	Repo       string   // the repository's root directory
	Rev        string   // the commit to build from
	Version    string   // the version of every released module
	Out        string   // the proxy's directory
	Modules    []string // the released modules' directories, relative to Repo ("." for the root)
	Unreleased []string // the directories of the modules that are never released
}

// Module is a module Build put in the proxy.
type Module struct {
	Path  string   // the module path
	Dir   string   // its directory in the repository, "." for the root
	Files []string // the files of its zip, sorted
}

// Build writes the released modules of cfg.Rev at cfg.Version into the
// proxy directory cfg.Out, and checks every zip it wrote.
func Build(cfg Config) ([]Module, error) {
	if !semver.IsValid(cfg.Version) || semver.Canonical(cfg.Version) != cfg.Version {
		return nil, fmt.Errorf("version %q: not a canonical semantic version such as v0.1.0", cfg.Version)
	}
	commit, err := git(cfg.Repo, "rev-parse", "--verify", cfg.Rev+"^{commit}")
	if err != nil {
		return nil, err
	}
	commit = strings.TrimSpace(commit)
	stamp, err := git(cfg.Repo, "show", "-s", "--format=%cI", commit)
	if err != nil {
		return nil, err
	}
	when, err := time.Parse(time.RFC3339, strings.TrimSpace(stamp))
	if err != nil {
		return nil, fmt.Errorf("commit time of %s: %v", commit, err)
	}

	// The same options the go command and x/mod use, so that line endings
	// are those of the repository whatever the machine.
	archive, err := git(cfg.Repo, "-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", commit)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(strings.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, fmt.Errorf("git archive of %s: %v", commit, err)
	}
	tree := make(map[string]*zip.File)
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") {
			tree[f.Name] = f
		}
	}

	modDirs, err := classify(tree, cfg.Modules, cfg.Unreleased)
	if err != nil {
		return nil, err
	}
	paths := make(map[string]string) // directory -> module path
	for dir := range modDirs {
		data, err := read(tree[join(dir, "go.mod")])
		if err != nil {
			return nil, err
		}
		p := modfile.ModulePath(data)
		if p == "" {
			return nil, fmt.Errorf("%s: no module path", join(dir, "go.mod"))
		}
		paths[dir] = p
	}

	var built []Module
	for _, dir := range cfg.Modules {
		dir = clean(dir)
		m, err := buildModule(cfg, tree, modDirs, paths, dir, when)
		if err != nil {
			return nil, fmt.Errorf("module %s (%s): %w", paths[dir], dir, err)
		}
		built = append(built, m)
	}
	return built, nil
}

// classify returns the directories that hold a go.mod, each with whether it
// is released, and fails when a go.mod is neither released nor listed as
// unreleased, or a listed directory has none.
func classify(tree map[string]*zip.File, released, unreleased []string) (map[string]bool, error) {
	want := make(map[string]bool)
	for _, d := range released {
		want[clean(d)] = true
	}
	for _, d := range unreleased {
		if want[clean(d)] {
			return nil, fmt.Errorf("%s is listed as released and as unreleased", d)
		}
		want[clean(d)] = false
	}
	found := make(map[string]bool)
	for name := range tree {
		if path.Base(name) == "go.mod" {
			dir := clean(path.Dir(name))
			rel, ok := want[dir]
			if !ok {
				return nil, fmt.Errorf("%s: a module that is neither released nor listed as unreleased; add its directory to -modules or -unreleased", name)
			}
			found[dir] = rel
		}
	}
	for d, rel := range want {
		if _, ok := found[d]; !ok && rel {
			return nil, fmt.Errorf("%s: no go.mod in the commit", join(d, "go.mod"))
		}
	}
	return found, nil
}

// buildModule writes one module's list, .info, .mod and .zip.
func buildModule(cfg Config, tree map[string]*zip.File, modDirs map[string]bool, paths map[string]string, dir string, when time.Time) (Module, error) {
	modPath := paths[dir]
	m := module.Version{Path: modPath, Version: cfg.Version}
	if err := module.Check(modPath, cfg.Version); err != nil {
		return Module{}, err
	}
	goMod, err := read(tree[join(dir, "go.mod")])
	if err != nil {
		return Module{}, err
	}
	if err := checkRequires(goMod, modDirs, paths); err != nil {
		return Module{}, err
	}

	// The module's files: those under dir, and none of a module nested in
	// it. x/mod/zip leaves out the nested ones by itself; want is computed
	// here on its own so that a difference is found, not trusted.
	var files []modzip.File
	var want []string
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
	}
	for name, f := range tree {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		rel := strings.TrimPrefix(name, prefix)
		files = append(files, archiveFile{name: rel, f: f})
		if !inOtherModule(name, dir, modDirs) {
			want = append(want, rel)
		}
	}
	if _, ok := tree[prefix+"LICENSE"]; !ok && dir != "." {
		// The go command gives a nested module the repository's LICENSE
		// when it has none of its own.
		if lic, ok := tree["LICENSE"]; ok {
			files = append(files, archiveFile{name: "LICENSE", f: lic})
			want = append(want, "LICENSE")
		}
	}
	sort.Strings(want)
	// The same commit gives the same zip, byte for byte.
	sort.Slice(files, func(i, j int) bool { return files[i].Path() < files[j].Path() })

	vdir := filepath.Join(cfg.Out, filepath.FromSlash(mustEscape(modPath)), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return Module{}, err
	}
	zipPath := filepath.Join(vdir, cfg.Version+".zip")
	if err := writeZip(zipPath, m, files); err != nil {
		return Module{}, err
	}
	checked, err := modzip.CheckZip(m, zipPath)
	if err != nil {
		return Module{}, err
	}
	var got []string
	for _, name := range checked.Valid {
		got = append(got, strings.TrimPrefix(name, modPath+"@"+cfg.Version+"/"))
	}
	sort.Strings(got)
	if missing, extra := diff(want, got); len(missing)+len(extra) > 0 {
		return Module{}, fmt.Errorf("zip differs from the module's committed files: missing %v, extra %v", missing, extra)
	}

	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{cfg.Version, when.UTC()})
	if err != nil {
		return Module{}, err
	}
	if err := os.WriteFile(filepath.Join(vdir, cfg.Version+".info"), info, 0o644); err != nil {
		return Module{}, err
	}
	if err := os.WriteFile(filepath.Join(vdir, cfg.Version+".mod"), goMod, 0o644); err != nil {
		return Module{}, err
	}
	if err := addToList(filepath.Join(vdir, "list"), cfg.Version); err != nil {
		return Module{}, err
	}
	return Module{Path: modPath, Dir: dir, Files: got}, nil
}

// checkRequires fails when go.mod requires a module of this repository that
// is never released: a user could not download it.
func checkRequires(goMod []byte, modDirs map[string]bool, paths map[string]string) error {
	f, err := modfile.ParseLax("go.mod", goMod, nil)
	if err != nil {
		return err
	}
	for _, r := range f.Require {
		for dir, p := range paths {
			if r.Mod.Path == p && !modDirs[dir] {
				return fmt.Errorf("requires %s, a module that is never released", p)
			}
		}
	}
	return nil
}

// inOtherModule reports whether the file name belongs to a module nested in
// the module at dir.
func inOtherModule(name, dir string, modDirs map[string]bool) bool {
	for d := path.Dir(name); d != "." && d != dir; d = path.Dir(d) {
		if _, ok := modDirs[d]; ok {
			return true
		}
	}
	return false
}

func writeZip(name string, m module.Version, files []modzip.File) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := modzip.Create(f, m, files); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// addToList adds version to the proxy's list file of a module.
func addToList(name, version string) error {
	data, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	seen := map[string]bool{version: true}
	versions := []string{version}
	for _, v := range strings.Fields(string(data)) {
		if !seen[v] {
			seen[v] = true
			versions = append(versions, v)
		}
	}
	sort.Strings(versions)
	return os.WriteFile(name, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

// diff returns the elements of the sorted want missing from the sorted got,
// and those of got not in want.
func diff(want, got []string) (missing, extra []string) {
	in := func(list []string, s string) bool {
		i := sort.SearchStrings(list, s)
		return i < len(list) && list[i] == s
	}
	for _, w := range want {
		if !in(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !in(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func read(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func mustEscape(p string) string {
	e, err := module.EscapePath(p)
	if err != nil {
		panic(err) // p passed module.Check
	}
	return e
}

func clean(dir string) string { return path.Clean(filepath.ToSlash(dir)) }

func join(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// archiveFile is a file of the git archive, as x/mod/zip wants it.
type archiveFile struct {
	name string
	f    *zip.File
}

func (a archiveFile) Path() string                 { return a.name }
func (a archiveFile) Lstat() (fs.FileInfo, error)  { return a.f.FileInfo(), nil }
func (a archiveFile) Open() (io.ReadCloser, error) { return a.f.Open() }
