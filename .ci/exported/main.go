// Command exported counts the exported API of Go packages: top-level
// exported funcs, types, consts and vars, plus the exported methods of
// exported types (struct fields are not counted). Test files and main
// packages are skipped. It prints "DIR N" per directory, then "total N".
// With -max N it exits 1 when the total exceeds N. From the repository
// root:
//
//	go -C .ci/exported run . -max 110 "$PWD/issuer" "$PWD/jwks" "$PWD/dynamic" "$PWD/dynamic/dynamictest"
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"strings"
)

func main() {
	limit := flag.Int("max", 0, "fail when the total exceeds this (0: no limit)")
	flag.Parse()
	total := 0
	for _, dir := range flag.Args() {
		n, err := count(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(dir, n)
		total += n
	}
	fmt.Println("total", total)
	if *limit > 0 && total > *limit {
		fmt.Printf("more than %d exported names\n", *limit)
		os.Exit(1)
	}
}

func count(dir string) (int, error) {
	fset := token.NewFileSet()
	notTest := func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	pkgs, err := parser.ParseDir(fset, dir, notTest, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	for name, p := range pkgs {
		if name == "main" {
			continue
		}
		for _, f := range p.Files {
			for _, d := range f.Decls {
				n += countDecl(d)
			}
		}
	}
	return n, nil
}

func countDecl(d ast.Decl) int {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv.List[0].Type)) {
			return 0
		}
		return 1
	case *ast.GenDecl:
		n := 0
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() {
					n++
				}
			case *ast.ValueSpec:
				for _, id := range s.Names {
					if id.IsExported() {
						n++
					}
				}
			}
		}
		return n
	}
	return 0
}

func exportedRecv(t ast.Expr) bool {
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
