package reporttest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CheckDocListsFields checks that the doc comment of the type named name,
// declared in the package in the test's directory, lists each field of
// typ as a line "  - Field: what it means". A package that declares a type
// as an alias of an internal one (csm.Stats = report.Stats) shows no
// fields in go doc: its comment must say what each one means.
func CheckDocListsFields(t *testing.T, name string, typ reflect.Type) {
	t.Helper()
	fset := token.NewFileSet()
	notTest := func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	files, err := parser.ParseDir(fset, ".", notTest, parser.ParseComments)
	require.NoError(t, err)
	var doc string
	for _, pkg := range files {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.TYPE {
					continue
				}
				for _, spec := range gen.Specs {
					if ts := spec.(*ast.TypeSpec); ts.Name.Name == name {
						doc = gen.Doc.Text()
						if ts.Doc != nil {
							doc = ts.Doc.Text()
						}
					}
				}
			}
		}
	}
	require.NotEmpty(t, doc, "no documented type %s", name)
	for i := 0; i < typ.NumField(); i++ {
		field := typ.Field(i).Name
		assert.Contains(t, doc, "  - "+field+": ", "the doc comment of %s says what %s means", name, field)
	}
}
