// Package docker is the agent's container collector: it reads every
// container of the Docker Engine (or Podman's Docker-compatible socket)
// over its unix socket, follows the Engine's event stream so that a change
// reaches the hub at once, and restarts, starts and stops containers for
// the hub. It speaks the Engine API with a small typed client over
// net/http: no docker CLI, never a shell (docs/performance.md says why
// not the Moby client module).
package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultHost is the Docker Engine's socket.
const DefaultHost = "unix:///var/run/docker.sock"

// apiVersion is the Engine API version the client asks for: 1.41 (Docker
// 20.10, Podman 3+) has everything used here.
const apiVersion = "/v1.41"

// maxBody bounds what the client reads of one answer.
const maxBody = 8 << 20

// Client talks to one Docker Engine over its unix socket.
type Client struct {
	http *http.Client
	// stream has no timeout: the event stream stays open.
	stream *http.Client
	base   string
}

// NewClient returns a client for host ("unix:///path" or a bare path;
// "" is DefaultHost). No connection is made until the first call.
func NewClient(host string) (*Client, error) {
	if host == "" {
		host = DefaultHost
	}
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok && !strings.HasPrefix(host, "/") {
		return nil, fmt.Errorf("docker_host %q: only a unix socket (unix:///var/run/docker.sock) is supported", host)
	}
	if !ok {
		path = host
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	tr := &http.Transport{DialContext: dial, MaxIdleConns: 2, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	return &Client{
		http:   &http.Client{Transport: tr, Timeout: 30 * time.Second},
		stream: &http.Client{Transport: &http.Transport{DialContext: dial, DisableCompression: true}},
		base:   "http://docker" + apiVersion,
	}, nil
}

// Error is an Engine API error answer.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("docker engine: %d %s", e.Status, e.Message) }

// NotFound reports whether err is the Engine's 404 (no such container).
func NotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, hc *http.Client, method, path string, q url.Values) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotModified {
		defer resp.Body.Close()
		var body struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
		return nil, &Error{Status: resp.StatusCode, Message: body.Message}
	}
	return resp, nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	resp, err := c.do(ctx, c.http, http.MethodGet, path, q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out)
}

// Ping checks that the Engine answers.
func (c *Client) Ping(ctx context.Context) error {
	resp, err := c.do(ctx, c.http, http.MethodGet, "/_ping", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Summary is one entry of GET /containers/json.
type Summary struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Image  string            `json:"Image"`
	State  string            `json:"State"`
	Status string            `json:"Status"`
	Labels map[string]string `json:"Labels"`
}

// List returns every container, running or not.
func (c *Client) List(ctx context.Context) ([]Summary, error) {
	var out []Summary
	err := c.get(ctx, "/containers/json", url.Values{"all": {"1"}}, &out)
	return out, err
}

// Inspect is the part of GET /containers/{id}/json the collector reads.
type Inspect struct {
	ID           string `json:"Id"`
	Name         string `json:"Name"`
	RestartCount int    `json:"RestartCount"`
	State        struct {
		Status     string `json:"Status"`
		OOMKilled  bool   `json:"OOMKilled"`
		ExitCode   int    `json:"ExitCode"`
		StartedAt  string `json:"StartedAt"`
		FinishedAt string `json:"FinishedAt"`
		Health     *struct {
			Status string `json:"Status"`
		} `json:"Health"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// InspectContainer returns a container's state. NotFound when it is gone.
func (c *Client) InspectContainer(ctx context.Context, id string) (*Inspect, error) {
	var out Inspect
	if err := c.get(ctx, "/containers/"+url.PathEscape(id)+"/json", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Stats is the part of a one-shot GET /containers/{id}/stats read.
type Stats struct {
	CPU struct {
		Usage struct {
			Total uint64 `json:"total_usage"`
		} `json:"cpu_usage"`
		System uint64 `json:"system_cpu_usage"`
		CPUs   int    `json:"online_cpus"`
	} `json:"cpu_stats"`
	Memory struct {
		Usage uint64            `json:"usage"`
		Stats map[string]uint64 `json:"stats"`
	} `json:"memory_stats"`
}

// ContainerStats takes one stats sample without waiting for a second one
// (one-shot): CPU use is the difference between two such samples.
func (c *Client) ContainerStats(ctx context.Context, id string) (*Stats, error) {
	var out Stats
	err := c.get(ctx, "/containers/"+url.PathEscape(id)+"/stats", url.Values{"stream": {"false"}, "one-shot": {"true"}}, &out)
	return &out, err
}

// action posts a container action and waits for the Engine's answer (it
// answers when the container has restarted, started or stopped).
func (c *Client) action(ctx context.Context, name, verb string, q url.Values) error {
	resp, err := c.do(ctx, c.http, http.MethodPost, "/containers/"+url.PathEscape(name)+"/"+verb, q)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Restart restarts a container. Stop and restart give the container its
// own stop timeout (docker run --stop-timeout, compose's
// stop_grace_period; 10 s by default) before the Engine kills it.
func (c *Client) Restart(ctx context.Context, name string) error {
	return c.action(ctx, name, "restart", nil)
}

// Start starts a container; one already running is not an error.
func (c *Client) Start(ctx context.Context, name string) error {
	return c.action(ctx, name, "start", nil)
}

// Stop stops a container; one already stopped is not an error.
func (c *Client) Stop(ctx context.Context, name string) error {
	return c.action(ctx, name, "stop", nil)
}

// Event is one container event of the Engine's stream.
type Event struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
}

// Events follows the Engine's container events and calls fn for each until
// ctx ends or the stream breaks (the Engine restarted); the error says why.
// opened is called once the stream is open.
func (c *Client) Events(ctx context.Context, opened func(), fn func(Event)) error {
	filters := `{"type":["container"]}`
	resp, err := c.do(ctx, c.stream, http.MethodGet, "/events", url.Values{"filters": {filters}})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	opened()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			fn(e)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}
