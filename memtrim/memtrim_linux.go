// Package memtrim gives back memory a long-running process touched only
// while starting.
package memtrim

import (
	"bufio"
	"debug/elf"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DropExecutablePages gives back the pages of the executable's code and
// read-only data that are mapped now: startup (every package's init, the
// migrations, the first heartbeat) touched most of the binary once, and
// those clean pages stay counted in RSS until the kernel needs the memory.
// What the process runs afterwards faults its pages in again from the page
// cache, so RSS becomes what it keeps using. Only read-only mappings of
// the executable are dropped: they hold no state, so nothing is lost. It
// returns the bytes of the mappings.
//
// In a position-independent executable (-buildmode=pie, as some
// distributions build Go) the loader writes relocations into read-only
// data before protecting it: those private copies are state, and dropping
// them would bring back the unrelocated file contents. There only the code
// (r-xp, never relocated) is dropped.
func DropExecutablePages() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	pie, err := isPIE(exe)
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-0110f000 r-xp 00000000 fd:01 123 /usr/local/bin/homelabcmd
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || (fields[1] != "r-xp" && (pie || fields[1] != "r--p")) {
			continue
		}
		start, end, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		from, err1 := strconv.ParseUint(start, 16, 64)
		to, err2 := strconv.ParseUint(end, 16, 64)
		if err1 != nil || err2 != nil || to <= from {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(from), uintptr(to-from), syscall.MADV_DONTNEED); errno != 0 {
			return total, errno
		}
		total += int64(to - from)
	}
	return total, sc.Err()
}

// isPIE reports whether the executable is position-independent (ELF type
// ET_DYN), i.e. relocated by the loader.
func isPIE(exe string) (bool, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return f.Type == elf.ET_DYN, nil
}
