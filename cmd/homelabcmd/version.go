package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/homelabcmd/homelabcmd"
)

func runVersion(_ context.Context, _ []string, _ []string, stdout, _ io.Writer) error {
	_, err := fmt.Fprintf(stdout, "homelabcmd %s (%s, %s/%s)\n", homelabcmd.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
