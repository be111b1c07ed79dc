package docpaths

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulePath is the root module's path: a package path under it names a
// directory of the repository.
const modulePath = "github.com/opencsm/csm-go"

// documents returns the documents to check, relative to root, as they are
// at test time: a document added to docs/ is checked from then on.
// CHANGELOG.md is not among them: it names paths as they were.
func documents(t *testing.T, root string) []string {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	docs = append(docs, filepath.Join(root, "README.md"), filepath.Join(root, "BENCHMARKS.md"))
	for i, d := range docs {
		docs[i], err = filepath.Rel(root, d)
		require.NoError(t, err)
	}
	sort.Strings(docs)
	return docs
}

// TestDocumentPaths checks that every repository path the documents name
// exists (see reference for what counts as one).
func TestDocumentPaths(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(mod), "module "+modulePath+"\n", "the repository root")

	repo := scanRepository(t, root)
	for _, doc := range documents(t, root) {
		data, err := os.ReadFile(filepath.Join(root, doc))
		require.NoError(t, err)
		refs := references(string(data), repo.top)
		for _, r := range refs {
			assert.True(t, repo.exists(path.Dir(filepath.ToSlash(doc)), r),
				"%s:%d: %s names %q, which is not in the repository", doc, r.line, r.kind, r.path)
		}
		t.Logf("%s: %d paths", doc, len(refs))
	}
}

// repository is what the repository holds at test time.
type repository struct {
	root string
	top  map[string]bool // the names at the root
	base map[string]bool // the base name of every file and directory
}

func scanRepository(t *testing.T, root string) *repository {
	r := &repository{root: root, top: map[string]bool{}, base: map[string]bool{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if p == root {
			return nil
		}
		if filepath.Dir(p) == root {
			r.top[d.Name()] = true
		}
		r.base[d.Name()] = true
		return nil
	})
	require.NoError(t, err)
	return r
}

// exists reports whether ref, named in a document in directory dir (both
// relative to the root, slash-separated), is in the repository.
func (r *repository) exists(dir string, ref reference) bool {
	switch ref.kind {
	case "a link":
		return r.match(path.Join(dir, ref.path))
	case "a file name":
		for name := range r.base {
			if ok, _ := path.Match(ref.path, name); ok {
				return true
			}
		}
		return false
	default:
		return r.match(ref.path)
	}
}

// match reports whether the slash-separated path p, relative to the root
// and possibly a glob, names something in the repository.
func (r *repository) match(p string) bool {
	p = strings.TrimSuffix(p, "/")
	if p == "" || p == "." {
		return true
	}
	if strings.HasPrefix(p, "../") {
		return false
	}
	found, err := filepath.Glob(filepath.Join(r.root, filepath.FromSlash(p)))
	return err == nil && len(found) > 0
}

// reference is a repository path named in a document.
type reference struct {
	line int
	kind string // "a link", "a path", "a package", "a file name"
	path string
}

var (
	fence    = regexp.MustCompile("(?m)^[ \t]*```")
	link     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	code     = regexp.MustCompile("`([^`\n]+)`")
	fileName = regexp.MustCompile(`^[A-Za-z0-9_*][A-Za-z0-9_.*-]*\.(go|md|json|yml|yaml|sh|mod|sum|work|txt|s)$`)
	// version is the last element of a tag such as csmv2/vX.Y.Z.
	version = regexp.MustCompile(`^v(\d+|X)\.`)
)

// references returns the repository paths a Markdown document names,
// outside fenced code blocks:
//
//   - the target of a relative link, [text](docs/settings.md#anchor),
//     relative to the document;
//   - in inline code: a path whose first element is at the repository's
//     root (`internal/report/fields.go`, `.ci/run`, `csm/`; globs allowed);
//     a package path in the root module (`github.com/opencsm/csm-go/csmv2`);
//     a ./path in a command (`go run ./internal/loadtest`); or a file name
//     alone (`encode_gen.go`), which must be the name of some file of the
//     repository.
//
// Other inline code (`aws/csm`, `encoding/json`, `/dev/null`, tags such as
// `csmv2/vX.Y.Z`) is not a repository path.
func references(doc string, top map[string]bool) []reference {
	var refs []reference
	inFence := false
	for n, line := range strings.Split(doc, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		add := func(kind, p string) { refs = append(refs, reference{line: n + 1, kind: kind, path: p}) }
		for _, m := range link.FindAllStringSubmatch(line, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, ":") {
				continue // an anchor in the document, or a URL
			}
			add("a link", target)
		}
		for _, m := range code.FindAllStringSubmatch(line, -1) {
			span := m[1]
			if strings.Contains(span, " ") {
				for _, word := range strings.Fields(span) {
					if strings.HasPrefix(word, "./") && !strings.HasPrefix(word, "./...") {
						add("a path", strings.TrimSuffix(strings.TrimPrefix(word, "./"), "/..."))
					}
				}
				continue
			}
			if p, ok := strings.CutPrefix(span, modulePath+"/"); ok {
				add("a package", strings.TrimSuffix(p, "/..."))
				continue
			}
			if strings.ContainsAny(span, "<>@=:~") || strings.HasPrefix(span, "/") {
				continue
			}
			first, _, nested := strings.Cut(span, "/")
			switch {
			case nested && version.MatchString(path.Base(span)):
				// a tag
			case nested && top[first]:
				add("a path", span)
			case !nested && fileName.MatchString(span):
				add("a file name", span)
			}
		}
	}
	return refs
}

// TestLayoutNamesEveryDirectory checks that docs/layout.md has a line for
// every directory that holds Go code or a go.mod, as they are at test time.
func TestLayoutNamesEveryDirectory(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	repo := scanRepository(t, root)
	data, err := os.ReadFile(filepath.Join(root, "docs", "layout.md"))
	require.NoError(t, err)
	named := map[string]bool{}
	for _, r := range references(string(data), repo.top) {
		if r.kind == "a path" {
			named[strings.TrimSuffix(r.path, "/")] = true
		}
	}

	dirs := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(d.Name(), ".go") || d.Name() == "go.mod") {
			dir, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			dirs[filepath.ToSlash(dir)] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for dir := range dirs {
		if dir != "." {
			assert.True(t, named[dir], "docs/layout.md has no line for %s/, which holds Go code or a go.mod: add a line for it", dir)
		}
	}
}

// TestReferences checks what counts as a repository path, and that a path
// that is not there is reported.
func TestReferences(t *testing.T) {
	top := map[string]bool{"csm": true, "internal": true, ".ci": true, "docs": true}
	doc := "See [settings](settings.md#table), [the site](https://example.com) and [above](#layout).\n" +
		"`internal/report/fields.go`, `csm/`, `.ci/run`, `csmv2/vX.Y.Z`, `internal/report/v0.1.0`,\n" +
		"`github.com/opencsm/csm-go/csmv2/...`, `github.com/aws/aws-sdk-go/aws/csm`, `aws/csm`,\n" +
		"`encoding/json`, `/dev/null`, `~/.aws/config`, `<module>/@v/list`, `AWS_CSM_PORT=31000`,\n" +
		"`go run ./internal/loadtest`, `go test ./...`, `encode_gen.go`, `threadcpu_*_test.go`, `.mod`\n" +
		"```\n`csm/not-read.go` [not read](nowhere.md)\n```\n"
	assert.Equal(t, []reference{
		{1, "a link", "settings.md"},
		{2, "a path", "internal/report/fields.go"},
		{2, "a path", "csm/"},
		{2, "a path", ".ci/run"},
		{3, "a package", "csmv2"},
		{5, "a path", "internal/loadtest"},
		{5, "a file name", "encode_gen.go"},
		{5, "a file name", "threadcpu_*_test.go"},
	}, references(doc, top))

	root := t.TempDir()
	for _, f := range []string{"csm/csm.go", "internal/report/fields.go", "docs/settings.md", "docs/layout.md"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, f), nil, 0o644))
	}
	repo := scanRepository(t, root)
	for _, c := range []struct {
		ref  reference
		want bool
	}{
		{reference{kind: "a link", path: "settings.md"}, true},
		{reference{kind: "a link", path: "../README.md"}, false},
		{reference{kind: "a path", path: "csm/"}, true},
		{reference{kind: "a path", path: "internal/report/*.go"}, true},
		{reference{kind: "a path", path: "internal/report/queue.go"}, false},
		{reference{kind: "a package", path: "csmv2"}, false},
		{reference{kind: "a file name", path: "fields.go"}, true},
		{reference{kind: "a file name", path: "threadcpu_*_test.go"}, false},
	} {
		assert.Equal(t, c.want, repo.exists("docs", c.ref), "%+v", c.ref)
	}
}
