package agentless_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// BenchmarkScan measures a whole scan (login, script, parse, store)
// against the namespace's sshd: go test -bench Scan -run ^$ ./agentless.
func BenchmarkScan(b *testing.B) {
	if sshd == nil {
		b.Skip("no sshd")
	}
	for _, typ := range []string{"quick", "full"} {
		b.Run(typ, func(b *testing.B) {
			e := newEnvTB(b)
			ctx := context.Background()
			if _, err := e.svc.SetCredential(ctx, "admin", "", homelabcmd.CredSSHPrivateKey, string(sshd.ClientKey)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s, err := e.svc.StartScan(ctx, "admin", agentless.ScanRequest{Hostname: sshd.Host, ScanType: typ})
				if err != nil {
					b.Fatal(err)
				}
				e.svc.Wait()
				if got, _ := e.svc.FindScan(ctx, s.ID); got.Status != homelabcmd.ScanCompleted {
					b.Fatalf("%+v", got)
				}
			}
		})
	}
}

// BenchmarkSweep measures a sweep of the namespace's /30 (2 hosts, 3 ports).
func BenchmarkSweep(b *testing.B) {
	if sshd == nil {
		b.Skip("no sshd")
	}
	p := netip.MustParsePrefix(sshd.Subnet)
	for b.Loop() {
		if d := agentless.Sweep(context.Background(), p, []int{22, 80, 443}, 500*time.Millisecond, 64); len(d) == 0 {
			b.Fatal("nothing found")
		}
	}
}
