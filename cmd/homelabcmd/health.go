package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd/config"
)

// runHealth is `homelabcmd health [serve flags] [--url URL]`: ask the hub's
// health check and exit 0 only when it answers "healthy". It is the
// container image's HEALTHCHECK, which has no curl; by default it asks the
// port `serve` would listen on, read from the same flags and variables.
func runHealth(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the hub's base URL (default: http://127.0.0.1:<port>)")
	cfg, _, _, err := config.ParseHub(fs, args, env)
	if err != nil {
		return err
	}
	if *url == "" {
		host := cfg.Host
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		scheme := "http://"
		if cfg.TLSCert != "" {
			scheme = "https://"
		}
		*url = scheme + net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	}
	// A liveness probe on this machine: the certificate names the public
	// host, not 127.0.0.1, so it is not verified.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", *url+"/api/v1/system/health", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h); err != nil {
		return fmt.Errorf("%s: %s, not a health answer", *url, resp.Status)
	}
	if h.Status != "healthy" {
		return errors.New(*url + ": " + h.Status)
	}
	fmt.Fprintf(stdout, "%s: healthy (version %s)\n", *url, h.Version)
	return nil
}
