// Package docpaths holds a test, and nothing else: every repository path
// that README.md, BENCHMARKS.md and docs/*.md name, in a link or in inline
// code, exists in the repository. It is in the root module so that the
// README's test command, go test github.com/opencsm/csm-go/..., runs it.
package docpaths
