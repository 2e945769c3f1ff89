package memtrim

import (
	"runtime"
	"strings"
	"testing"
)

// Dropping the executable's pages loses nothing: the code runs on,
// faulted in again from the page cache.
func TestDropExecutablePages(t *testing.T) {
	n, err := DropExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && n == 0 {
		t.Fatal("no mapping of the executable found")
	}
	runtime.GC()
	if got := strings.Repeat("ab", 3); got != "ababab" {
		t.Fatalf("after the drop: %q", got)
	}
	t.Logf("%d bytes of mappings dropped", n)
}
