// Package config reads the hub's settings from a YAML file, HOMELAB_CMD_*
// environment variables and command-line flags, in that order of precedence
// (a flag beats the environment, which beats the file).
package config

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// option is one setting: its YAML key (also the flag name, with "_" as "-"),
// whether it is a secret (masked in dumps, readable from NAME_FILE).
type option struct {
	key    string
	secret bool
}

// EnvPrefix is the prefix of every hub environment variable.
const EnvPrefix = "HOMELAB_CMD_"

// envName is the environment variable of a YAML key: database_url → HOMELAB_CMD_DATABASE_URL.
func envName(prefix, key string) string { return prefix + strings.ToUpper(key) }

// flagName is the flag of a YAML key: database_url → database-url.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// layered applies the three sources to a FlagSet whose flags were defined
// with flagName(key) and their defaults. YAML first, then environment, then
// the command line; errors name the source and the key.
type layered struct {
	fs      *flag.FlagSet
	prefix  string
	options []option
}

func (l *layered) apply(yamlValues map[string]string, environ []string, args []string) error {
	known := map[string]option{}
	for _, o := range l.options {
		known[o.key] = o
	}
	keys := make([]string, 0, len(yamlValues))
	for k := range yamlValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := known[k]; !ok {
			return fmt.Errorf("config file: unknown key %q", k)
		}
		if err := l.fs.Set(flagName(k), yamlValues[k]); err != nil {
			return fmt.Errorf("config file: %s: %v", k, err)
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, o := range l.options {
		name := envName(l.prefix, o.key)
		if v, ok := env[name]; ok {
			if err := l.fs.Set(flagName(o.key), v); err != nil {
				return fmt.Errorf("environment %s: %v", name, err)
			}
		}
		if o.secret {
			if path, ok := env[name+"_FILE"]; ok {
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("environment %s_FILE: %v", name, err)
				}
				if err := l.fs.Set(flagName(o.key), strings.TrimSpace(string(b))); err != nil {
					return fmt.Errorf("environment %s_FILE: %v", name, err)
				}
			}
		}
	}
	return l.fs.Parse(args)
}

// dump lists every setting as "key: value", secrets masked.
func (l *layered) dump() string {
	var b strings.Builder
	for _, o := range l.options {
		v := l.fs.Lookup(flagName(o.key)).Value.String()
		if o.secret && v != "" {
			v = "********"
		}
		fmt.Fprintf(&b, "%s: %s\n", o.key, v)
	}
	return b.String()
}

// configPath finds --config/-config in args, else NAME_CONFIG in environ.
func configPath(prefix string, args, environ []string) string {
	for i, a := range args {
		for _, p := range []string{"--config=", "-config="} {
			if strings.HasPrefix(a, p) {
				return strings.TrimPrefix(a, p)
			}
		}
		if (a == "--config" || a == "-config") && i+1 < len(args) {
			return args[i+1]
		}
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, prefix+"CONFIG="); ok {
			return v
		}
	}
	return ""
}
