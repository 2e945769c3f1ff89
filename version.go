package homelabcmd

// Version is the release of the hub and agent; the build may override it
// with -ldflags "-X github.com/homelabcmd/homelabcmd.Version=…".
var Version = "0.1.0-dev"
