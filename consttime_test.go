package homelabcmd_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// secretName matches identifiers that hold credentials or their hashes.
// Names of constants that are labels, not credentials, are let through.
var (
	secretName = regexp.MustCompile(`(?i)(hash|secret|password|passwd|token|apikey|api_key|cred)`)
	labelName  = regexp.MustCompile(`^(Actor|Prefix|Principal|Role)`)
)

// TestCredentialsCompareInConstantTime reads the code that checks
// credentials: the two comparison functions must use
// subtle.ConstantTimeCompare, and no == or != may compare a credential or
// hash with anything but an empty literal (SQL lookups by hash compare in
// the database, not in Go).
func TestCredentialsCompareInConstantTime(t *testing.T) {
	var files []string
	for _, pattern := range []string{"*.go", "httpapi/*.go", "sqlstore/*.go", "cmd/homelabcmd/*.go"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	fset := token.NewFileSet()
	usesSubtle := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "subtle" && n.Sel.Name == "ConstantTimeCompare" {
						usesSubtle[fn.Name.Name] = true
					}
				case *ast.BinaryExpr:
					if n.Op != token.EQL && n.Op != token.NEQ {
						return true
					}
					if isEmptyLiteral(n.X) || isEmptyLiteral(n.Y) {
						return true
					}
					for _, side := range []ast.Expr{n.X, n.Y} {
						if name := exprName(side); secretName.MatchString(name) && !labelName.MatchString(name) {
							t.Errorf("%s: %s compares %s with %s; use SecretMatches or PasswordMatches",
								fset.Position(n.Pos()), fn.Name.Name, name, n.Op)
						}
					}
				}
				return true
			})
		}
	}
	for _, fn := range []string{"SecretMatches", "PasswordMatches"} {
		if !usesSubtle[fn] {
			t.Errorf("%s does not use subtle.ConstantTimeCompare", fn)
		}
	}
}

func isEmptyLiteral(e ast.Expr) bool {
	if b, ok := e.(*ast.BasicLit); ok {
		return b.Value == `""` || b.Value == "0"
	}
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

// exprName names an identifier or field selector ("" for anything else).
func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.StarExpr:
		return exprName(e.X)
	}
	return ""
}
