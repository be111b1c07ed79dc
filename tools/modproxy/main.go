// Command modproxy builds a file-based Go module proxy that serves the
// modules of this repository at one version, made from one commit, so that
// a release can be rehearsed before it is tagged:
//
//	go run ./modproxy -repo .. -version v0.1.0 -out /tmp/proxy
//	GOPROXY=file:///tmp/proxy go get github.com/opencsm/csm-go/csm@v0.1.0
//
// The proxy has the layout the go command reads (<module>/@v/list,
// <version>.info, <version>.mod and <version>.zip). Each module's zip is made
// with golang.org/x/mod/zip from the files `git archive` gives for the
// commit, never from the working tree, so an uncommitted file cannot leak
// into a release. A nested module's zip holds its own directory less the
// modules nested in it, plus the repository's LICENSE when it has none, as
// the go command does for a tagged nested module.
//
// Every go.mod of the commit must belong to a released module (-modules) or
// to a module that is never released (-unreleased): a new module is
// classified, not forgotten. A released module may not require an
// unreleased module of the repository.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var cfg Config
	var modules, unreleased string
	flag.StringVar(&cfg.Repo, "repo", ".", "the repository's root directory")
	flag.StringVar(&cfg.Rev, "rev", "HEAD", "the commit to build the modules from")
	flag.StringVar(&cfg.Version, "version", "", "the version to give every released module, such as v0.1.0 (required)")
	flag.StringVar(&cfg.Out, "out", "", "the directory to write the proxy into (required; made if missing)")
	flag.StringVar(&modules, "modules", ".,internal/report,internal/ingest,csmv2,cmd/csmtail,collector", "the released modules' directories, comma-separated")
	flag.StringVar(&unreleased, "unreleased", "csmv2/v2test,examples,tools,collector/bench", "the directories of modules that are never released, comma-separated")
	flag.Parse()
	if cfg.Version == "" || cfg.Out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: modproxy -version vX.Y.Z -out DIR [-repo DIR] [-rev REV] [-modules DIRS] [-unreleased DIRS]")
		os.Exit(2)
	}
	cfg.Modules = split(modules)
	cfg.Unreleased = split(unreleased)

	built, err := Build(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
	for _, m := range built {
		fmt.Printf("%s@%s: %d files\n", m.Path, cfg.Version, len(m.Files))
	}
}

// split splits a comma-separated list, dropping empty elements.
func split(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
