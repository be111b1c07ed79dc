package csmv2_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStartParameterNames: go doc shows csmv2.Start as package csm's Start,
// aws-sdk-go's aws/csm Start: Start(clientID string, url string).
func TestStartParameterNames(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reporter.go", nil, 0)
	require.NoError(t, err)
	var names []string
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "Start" {
			for _, p := range fn.Type.Params.List {
				for _, n := range p.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	assert.Equal(t, []string{"clientID", "url"}, names)
}
