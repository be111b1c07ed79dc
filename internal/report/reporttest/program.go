package reporttest

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildProgram builds the main package in dir (a path relative to the
// test's package, such as "./testdata/onecall") with the go command that
// runs the test, and returns the program's path. The program is removed
// when the test ends.
func BuildProgram(t testing.TB, dir string) string {
	t.Helper()
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(gocmd); err != nil {
		t.Skipf("no go command to build %s with: %v", dir, err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	cmd := exec.Command(gocmd, "build", "-o", out, dir)
	// IsolateEnv, or a TestMain like it, may have moved HOME to an empty
	// directory, where the go command would find no module or build
	// cache: it builds with the user's own.
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		cmd.Env = append(os.Environ(), "HOME="+u.HomeDir)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, msg)
	}
	return out
}
