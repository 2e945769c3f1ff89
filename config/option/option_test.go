package option

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testSet is a small table: a plain option with a default, a secret with
// an alias, and one without a flag.
func testSet(vals map[string]string) *Set {
	o := func(name, def, fl string, secret bool, aliases ...string) Option {
		return Option{Name: name, Env: "T_" + strings.ToUpper(name), Flag: fl, Default: def, Secret: secret, Aliases: aliases,
			Value: Funcs(func(v any) error {
				s, err := Scalar(v)
				if err == nil {
					vals[name] = s
				}
				return err
			}, func() string { return vals[name] })}
	}
	s := New("T_", []Option{o("port", "8080", "port", false), o("token", "", "token", true, "old_token"), o("mode", "ro", "", false)})
	s.Ignore("legacy")
	return s
}

func TestSources(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(secret, []byte("from-file\n"), 0o600)
	tests := []struct {
		name       string
		file       string
		env, args  []string
		wantValue  map[string]string
		wantSource map[string]Source
	}{
		{"defaults", "", nil, nil, map[string]string{"port": "8080", "token": "", "mode": "ro"},
			map[string]Source{"port": Default, "token": Default, "mode": Default}},
		{"file", "port: 9000\nmode: rw\nlegacy: [x]\ntoken: null\n", nil, nil, map[string]string{"port": "9000", "mode": "rw"},
			map[string]Source{"port": File, "token": Default, "mode": File}},
		{"env beats file", "port: 9000\n", []string{"T_PORT=9100", "T_MODE=rw"}, nil, map[string]string{"port": "9100", "mode": "rw"},
			map[string]Source{"port": Env, "mode": Env}},
		{"flag beats env", "port: 9000\n", []string{"T_PORT=9100"}, []string{"--port", "9200"}, map[string]string{"port": "9200"},
			map[string]Source{"port": Flag}},
		{"alias in file", "old_token: a\n", nil, nil, map[string]string{"token": "a"}, map[string]Source{"token": File}},
		{"option beats alias in env", "", []string{"T_TOKEN=b", "T_OLD_TOKEN=a"}, nil, map[string]string{"token": "b"}, map[string]Source{"token": Env}},
		{"secret from _FILE", "token: a\n", []string{"T_TOKEN_FILE=" + secret}, nil, map[string]string{"token": "from-file"}, map[string]Source{"token": Env}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := map[string]string{}
			s := testSet(vals)
			errs := append(s.ApplyFile([]byte(tt.file)), s.ApplyEnv(tt.env)...)
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			s.DefineFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for k, want := range tt.wantValue {
				if vals[k] != want {
					t.Errorf("%s = %q, want %q", k, vals[k], want)
				}
			}
			for k, want := range tt.wantSource {
				if got := s.Source(k); got != want {
					t.Errorf("source of %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestErrorsNameSourceAndKey(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"unknown key", "prot: 1\n", nil, `config file: prot: unknown key "prot" (known: mode, old_token, port, token)`},
		{"not yaml", "port: [\n", nil, "config file: not a YAML mapping"},
		{"nested", "port: {a: 1}\n", nil, "config file: port: must be a single value"},
		{"env", "", []string{"T_MODE=a=b", "T_PORT_FILE=/x"}, ""},
		{"missing _FILE", "", []string{"T_TOKEN_FILE=/nonexistent/tok"}, "environment T_TOKEN_FILE: open /nonexistent/tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSet(map[string]string{})
			errs := append(s.ApplyFile([]byte(tt.file)), s.ApplyEnv(tt.env)...)
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("errors %v (a non-secret has no _FILE)", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("errors %v, want one with %q", errs, tt.want)
			}
		})
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	vals := map[string]string{}
	s := testSet(vals)
	s.ApplyEnv([]string{"T_TOKEN=hunter2-secret"})
	d := &Dump{Options: s.Entries()}
	var b strings.Builder
	d.WriteText(&b)
	d.WriteJSON(&b)
	if strings.Contains(b.String(), "hunter2") || !strings.Contains(b.String(), Masked) {
		t.Fatalf("secret shown or not masked:\n%s", b.String())
	}
	vals["token"] = ""
	if e := (&Dump{Options: s.Entries()}).Entry("token"); e.Value != Unset {
		t.Fatalf("empty secret shows %q", e.Value)
	}
}

func TestFormatDuration(t *testing.T) {
	for in, want := range map[string]string{"180s": "3m", "720h": "720h", "90s": "1m30s", "0s": "0s", "1h30m": "1h30m"} {
		d, _ := time.ParseDuration(in)
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %s, want %s", in, got, want)
		}
	}
}
