package agentless

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// DiscoverySettings tune subnet sweeps.
type DiscoverySettings struct {
	DefaultSubnet string `json:"default_subnet"`
	Ports         []int  `json:"ports"`
	TimeoutMS     int    `json:"timeout_ms"`
	Concurrency   int    `json:"concurrency"`
}

// Sweep limits: a range larger than a /22 needs confirm; larger than a
// /16 is refused.
const (
	maxUnconfirmedPrefix = 22
	minPrefix            = 16
)

// DiscoverySettings returns the sweep settings (ports 22, 80, 443,
// 500 ms per connection, 64 at a time unless changed).
func (s *Service) DiscoverySettings(ctx context.Context) (*DiscoverySettings, error) {
	out := &DiscoverySettings{Ports: []int{22, 80, 443}, TimeoutMS: 500, Concurrency: 64}
	raw, err := s.store.RemoteSetting(ctx, "discovery")
	if err != nil || raw == "" {
		return out, err
	}
	return out, json.Unmarshal([]byte(raw), out)
}

// UpdateDiscoverySettings validates and stores the settings. EINVALID.
func (s *Service) UpdateDiscoverySettings(ctx context.Context, d DiscoverySettings) (*DiscoverySettings, error) {
	cur, err := s.DiscoverySettings(ctx)
	if err != nil {
		return nil, err
	}
	if d.DefaultSubnet != "" {
		if _, err := netip.ParsePrefix(d.DefaultSubnet); err != nil {
			return nil, homelabcmd.FieldError("default_subnet", "default_subnet must be a CIDR range like 192.168.1.0/24")
		}
		cur.DefaultSubnet = d.DefaultSubnet
	}
	if d.Ports != nil {
		if len(d.Ports) == 0 || len(d.Ports) > 16 {
			return nil, homelabcmd.FieldError("ports", "ports must list 1 to 16 ports")
		}
		for _, p := range d.Ports {
			if err := homelabcmd.ValidatePort("ports", p); err != nil {
				return nil, err
			}
		}
		cur.Ports = d.Ports
	}
	if d.TimeoutMS != 0 {
		if d.TimeoutMS < 50 || d.TimeoutMS > 10000 {
			return nil, homelabcmd.FieldError("timeout_ms", "timeout_ms must be 50 to 10000")
		}
		cur.TimeoutMS = d.TimeoutMS
	}
	if d.Concurrency != 0 {
		if d.Concurrency < 1 || d.Concurrency > 256 {
			return nil, homelabcmd.FieldError("concurrency", "concurrency must be 1 to 256")
		}
		cur.Concurrency = d.Concurrency
	}
	b, _ := json.Marshal(cur)
	return cur, s.store.PutRemoteSetting(ctx, "discovery", string(b))
}

// ParseSweepRange checks a subnet to sweep: IPv4, at most a /22 unless
// confirmed, never larger than a /16.
func ParseSweepRange(subnet string, confirm bool) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, homelabcmd.FieldError("subnet", "subnet must be an IPv4 CIDR range like 192.168.1.0/24")
	}
	p = p.Masked()
	switch {
	case p.Bits() < minPrefix:
		return netip.Prefix{}, homelabcmd.FieldError("subnet", "subnet may be at most a /%d", minPrefix)
	case p.Bits() < maxUnconfirmedPrefix && !confirm:
		return netip.Prefix{}, &homelabcmd.Error{Code: homelabcmd.EINVALID, Field: "confirm",
			Message: "a range larger than a /22 (" + strconv.Itoa(1<<(32-p.Bits())) + " addresses) needs confirm: true"}
	}
	return p, nil
}

// StartDiscovery validates the range and sweeps it in the background:
// a TCP connect to each host's configured ports, and an ICMP echo request
// when the hub may send one (EchoSweep; the result's method says which).
func (s *Service) StartDiscovery(ctx context.Context, actor, subnet string, confirm bool) (*homelabcmd.Discovery, error) {
	set, err := s.DiscoverySettings(ctx)
	if err != nil {
		return nil, err
	}
	if subnet == "" {
		subnet = set.DefaultSubnet
	}
	p, err := ParseSweepRange(subnet, confirm)
	if err != nil {
		return nil, err
	}
	d := &homelabcmd.Discovery{Subnet: p.String(), RequestedBy: actor}
	if err := s.store.CreateDiscovery(ctx, d); err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "discovery", Target: p.String(), Detail: "ports " + intsText(set.Ports)})
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx := context.WithoutCancel(ctx)
		timeout := time.Duration(set.TimeoutMS) * time.Millisecond
		devices := Sweep(ctx, p, set.Ports, timeout, set.Concurrency)
		devices, method := EchoSweep(ctx, p, devices, max(timeout, time.Second), set.Concurrency)
		s.markKnown(ctx, devices)
		if err := s.store.FinishDiscovery(ctx, d.ID, devices, method, ""); err != nil {
			s.logger.Error("discovery not stored", "id", d.ID, "err", err)
		}
	}()
	return d, nil
}

// Sweep connects to ports on every host address of p (not the network and
// broadcast addresses of ranges larger than a /31) and returns the hosts
// where one answered or refused (a refusal proves a host is there).
func Sweep(ctx context.Context, p netip.Prefix, ports []int, timeout time.Duration, concurrency int) []homelabcmd.DiscoveredDevice {
	hosts := sweepHosts(p)
	type found struct {
		addr  netip.Addr
		port  int
		alive bool
	}
	jobs := make(chan [2]int)
	results := make(chan found)
	var wg sync.WaitGroup
	for range max(1, concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: timeout}
			for j := range jobs {
				a := hosts[j[0]]
				c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a, uint16(j[1])).String())
				if err == nil {
					c.Close()
					results <- found{a, j[1], true}
				} else if isRefused(err) {
					results <- found{a, 0, true}
				}
			}
		}()
	}
	go func() {
		for i := range hosts {
			for _, port := range ports {
				jobs <- [2]int{i, port}
			}
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	byAddr := map[netip.Addr]*homelabcmd.DiscoveredDevice{}
	for f := range results {
		d := byAddr[f.addr]
		if d == nil {
			d = &homelabcmd.DiscoveredDevice{IP: f.addr.String(), Source: "network", OpenPorts: []int{}}
			byAddr[f.addr] = d
		}
		if f.port != 0 {
			d.OpenPorts = append(d.OpenPorts, f.port)
			d.SSHAvailable = d.SSHAvailable || f.port == 22
		}
	}
	out := make([]homelabcmd.DiscoveredDevice, 0, len(byAddr))
	for _, a := range hosts {
		if d := byAddr[a]; d != nil {
			slices.Sort(d.OpenPorts)
			out = append(out, *d)
		}
	}
	return out
}

// sweepHosts are the host addresses of p: all but the network and
// broadcast addresses of ranges larger than a /31.
func sweepHosts(p netip.Prefix) []netip.Addr {
	var hosts []netip.Addr
	for a := p.Addr(); p.Contains(a); a = a.Next() {
		if p.Bits() < 31 && (a == p.Addr() || !p.Contains(a.Next())) {
			continue
		}
		hosts = append(hosts, a)
	}
	return hosts
}

// markKnown sets ServerID on devices at a known server's address.
func (s *Service) markKnown(ctx context.Context, devices []homelabcmd.DiscoveredDevice) {
	servers, err := s.store.ListServers(ctx)
	if err != nil {
		return
	}
	for i := range devices {
		for _, srv := range servers {
			if (srv.IPAddress != nil && *srv.IPAddress == devices[i].IP) || srv.Hostname == devices[i].IP ||
				(devices[i].Hostname != "" && srv.Hostname == devices[i].Hostname) {
				id := srv.ID
				devices[i].ServerID = &id
			}
		}
	}
}

// FindDiscovery returns a sweep. ENOTFOUND.
func (s *Service) FindDiscovery(ctx context.Context, id int64) (*homelabcmd.Discovery, error) {
	return s.store.FindDiscovery(ctx, id)
}

// ImportDevice creates a server for a discovered address. EINVALID, ECONFLICT.
func (s *Service) ImportDevice(ctx context.Context, actor string, r ImportRequest) (*homelabcmd.Server, error) {
	srv := &homelabcmd.Server{ID: r.ServerID, Hostname: r.Hostname, DisplayName: r.DisplayName, MachineType: r.MachineType}
	return s.importServer(ctx, actor, "discovery_import", srv, r)
}

func intsText(v []int) string {
	b := make([]byte, 0, 4*len(v))
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}
