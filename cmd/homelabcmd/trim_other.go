//go:build !linux

package main

// dropExecutablePages is Linux-only (/proc/self/maps); elsewhere a no-op.
func dropExecutablePages() (int64, error) { return 0, nil }
