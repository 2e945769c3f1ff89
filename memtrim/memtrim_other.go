//go:build !linux

package memtrim

// DropExecutablePages is Linux-only (/proc/self/maps); elsewhere a no-op.
func DropExecutablePages() (int64, error) { return 0, nil }
