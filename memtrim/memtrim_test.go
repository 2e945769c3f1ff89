package memtrim

import (
	"os"
	"os/exec"
	"path/filepath"
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

// A position-independent build keeps its relocated read-only data: only
// its code is dropped, and the program runs on correctly.
func TestDropExecutablePagesPIE(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	for _, mode := range []string{"exe", "pie"} {
		t.Run(mode, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "pie")
			build := exec.Command("go", "build", "-buildmode="+mode, "-o", bin, "./testdata/pie")
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			out, err := exec.Command(bin).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "{A:[ok OK]}" {
				t.Fatalf("after the drop: %v\n%s", err, out)
			}
		})
	}
}
