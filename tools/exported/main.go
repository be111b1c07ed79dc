// Command exported counts the exported API of Go packages: for each
// directory named on the command line, the exported names declared at
// package level (constants, variables, functions, types), the exported
// methods of exported types, and the exported fields of exported struct
// types, an embedded one by its type's name. Test files are left out; a
// name declared in files for several platforms counts once.
//
//	go run ./tools/exported internal/report internal/report/reporttest csm csmv2
//
// With -v it lists the names too.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"sort"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list the names")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: exported [-v] dir...")
		os.Exit(2)
	}
	for _, dir := range flag.Args() {
		names, err := count(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%-32s %3d names %3d fields\n", dir, countKind(names, false), countKind(names, true))
		if *verbose {
			for _, n := range names {
				fmt.Println("\t" + n)
			}
		}
	}
}

// countKind counts the entries that are fields (field) or names (!field).
func countKind(names []string, field bool) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, "field ") == field {
			n++
		}
	}
	return n
}

// count returns the sorted exported names of the package in dir.
func count(dir string) ([]string, error) {
	fset := token.NewFileSet()
	notTest := func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	pkgs, err := parser.ParseDir(fset, dir, notTest, 0)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				add(set, decl)
			}
		}
	}
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// add puts the exported names decl declares in set.
func add(set map[string]bool, decl ast.Decl) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		if d.Recv == nil {
			set["func "+d.Name.Name] = true
			return
		}
		if recv := receiverName(d.Recv.List[0].Type); ast.IsExported(recv) {
			set["method "+recv+"."+d.Name.Name] = true
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						set[d.Tok.String()+" "+n.Name] = true
					}
				}
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				set["type "+s.Name.Name] = true
				if st, ok := s.Type.(*ast.StructType); ok {
					for _, f := range st.Fields.List {
						if len(f.Names) == 0 {
							if n := receiverName(f.Type); ast.IsExported(n) {
								set["field "+s.Name.Name+"."+n] = true
							}
						}
						for _, n := range f.Names {
							if n.IsExported() {
								set["field "+s.Name.Name+"."+n.Name] = true
							}
						}
					}
				}
			}
		}
	}
}

// receiverName returns the name of the type expression t: T, *T, T[P],
// pkg.T.
func receiverName(t ast.Expr) string {
	switch e := t.(type) {
	case *ast.StarExpr:
		return receiverName(e.X)
	case *ast.IndexExpr:
		return receiverName(e.X)
	case *ast.IndexListExpr:
		return receiverName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}
