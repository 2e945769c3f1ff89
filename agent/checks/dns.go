package checks

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/homelabcmd/homelabcmd"
)

// dnsCheck looks the name up (through the check's resolver when it names
// one, else the system's) and, when an answer is expected, requires it
// among the answers (case and a trailing dot do not matter).
func dnsCheck(ctx context.Context, spec homelabcmd.CheckSpec) error {
	res := &net.Resolver{PreferGo: true}
	if spec.Resolver != "" {
		res.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, spec.Resolver)
		}
	}
	var answers []string
	var err error
	switch spec.RecordType {
	case "A", "AAAA":
		network := "ip4"
		if spec.RecordType == "AAAA" {
			network = "ip6"
		}
		var ips []net.IP
		if ips, err = res.LookupIP(ctx, network, spec.Target); err == nil {
			for _, ip := range ips {
				answers = append(answers, ip.String())
			}
		}
	case "CNAME":
		var c string
		if c, err = res.LookupCNAME(ctx, spec.Target); err == nil {
			answers = []string{c}
		}
	case "MX":
		var mx []*net.MX
		if mx, err = res.LookupMX(ctx, spec.Target); err == nil {
			for _, m := range mx {
				answers = append(answers, m.Host, strconv.Itoa(int(m.Pref))+" "+m.Host)
			}
		}
	case "TXT":
		answers, err = res.LookupTXT(ctx, spec.Target)
	case "NS":
		var ns []*net.NS
		if ns, err = res.LookupNS(ctx, spec.Target); err == nil {
			for _, n := range ns {
				answers = append(answers, n.Host)
			}
		}
	default:
		return fmt.Errorf("unknown record type %q", spec.RecordType)
	}
	if err != nil {
		return err
	}
	if len(answers) == 0 {
		return fmt.Errorf("no %s record for %s", spec.RecordType, spec.Target)
	}
	if spec.Expected == "" {
		return nil
	}
	norm := func(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }
	want := norm(spec.Expected)
	if slices.ContainsFunc(answers, func(a string) bool { return norm(a) == want }) {
		return nil
	}
	return fmt.Errorf("%s %s answered %s, not %s", spec.Target, spec.RecordType, clip(strings.Join(answers, ", "), 200), spec.Expected)
}
