// Command pie drops its pages with memtrim and then uses data the loader
// relocated (type descriptors, interface tables, a map of funcs): built
// with -buildmode=pie it crashes or prints garbage if relocated pages were
// dropped.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/homelabcmd/homelabcmd/memtrim"
)

var funcs = map[string]func(string) string{"upper": strings.ToUpper, "lower": strings.ToLower}

func main() {
	if _, err := memtrim.DropExecutablePages(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, funcs[n]("Ok"))
	}
	var v any = struct{ A []string }{parts}
	fmt.Printf("%+v\n", v)
}
