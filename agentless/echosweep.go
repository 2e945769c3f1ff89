package agentless

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/icmpx"
)

// EchoSweep sends one ICMP echo request to every host address of p when
// the hub may (an unprivileged ping socket, or root / CAP_NET_RAW): hosts
// that answer are marked icmp_reply, and added when no TCP port answered
// (a firewalled host that still answers ping). It returns the devices in
// address order and the method, "tcp+icmp", or "tcp" when ICMP is not
// permitted (then found is returned as it is).
func EchoSweep(ctx context.Context, p netip.Prefix, found []homelabcmd.DiscoveredDevice, timeout time.Duration, concurrency int) ([]homelabcmd.DiscoveredDevice, string) {
	hosts := sweepHosts(p)
	if len(hosts) == 0 {
		return found, "tcp"
	}
	// One probe first: is ICMP permitted at all?
	first := func(a netip.Addr) error {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := icmpx.Echo(cctx, a.String())
		return err
	}
	replied := make([]bool, len(hosts))
	err := first(hosts[0])
	if errors.Is(err, icmpx.ErrNotPermitted) {
		return found, "tcp"
	}
	replied[0] = err == nil
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range max(1, concurrency) {
		wg.Go(func() {
			for i := range jobs {
				replied[i] = first(hosts[i]) == nil
			}
		})
	}
	for i := 1; i < len(hosts); i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	byAddr := map[string]*homelabcmd.DiscoveredDevice{}
	for i := range found {
		byAddr[found[i].IP] = &found[i]
	}
	out := make([]homelabcmd.DiscoveredDevice, 0, len(found))
	for i, a := range hosts {
		d := byAddr[a.String()]
		if d == nil && replied[i] {
			d = &homelabcmd.DiscoveredDevice{IP: a.String(), Source: "network", OpenPorts: []int{}}
		}
		if d != nil {
			d.ICMPReply = replied[i]
			out = append(out, *d)
		}
	}
	slices.SortStableFunc(out, func(x, y homelabcmd.DiscoveredDevice) int {
		return netip.MustParseAddr(x.IP).Compare(netip.MustParseAddr(y.IP))
	})
	return out, "tcp+icmp"
}
