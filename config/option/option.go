// Package option is the one option mechanism of the hub and the agent: each
// binary declares a table of settings, and a Set layers the sources over the
// defaults (YAML file, then environment, then flags) and remembers where each
// value came from, so that `config dump` can say so. It imports no more than
// the YAML parser, so that the slim agent binary stays slim.
package option

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Source says where an option's value came from.
type Source string

// The sources, weakest first. Stored is a value kept in the hub's database
// that overrides the option at run time; a Set never assigns it itself.
const (
	Default Source = "default"
	File    Source = "file"
	Env     Source = "env"
	Flag    Source = "flag"
	Stored  Source = "stored"
)

// Value holds an option's typed value. Set takes a YAML value (string, int,
// float64, bool, list or mapping) or a string from the environment or a flag,
// and returns an error that does not repeat the key (the Set adds it).
type Value interface {
	Set(v any) error
	String() string
}

// Option is one setting: its names in every source, its default, its README
// text and how to parse it.
type Option struct {
	Name    string   // YAML key
	Aliases []string // other YAML keys for it (also as environment variables)
	Env     string   // environment variable
	Flag    string   // command-line flag without dashes; "" when none
	// Default is the value before any source, as a source would write it
	// ("180s"); "" leaves the Value as it is.
	Default string
	// DocDefault is the README's default column when it is not Default in
	// backquotes ("generated", "required", "from hostname").
	DocDefault string
	Meaning    string // the README's meaning column
	Secret     bool   // masked in dumps; also read from Env+"_FILE"
	Value      Value
}

// ShownDefault is the default as the README shows it.
func (o *Option) ShownDefault() string {
	if o.DocDefault != "" || o.Default == "" {
		return o.DocDefault
	}
	return "`" + o.Default + "`"
}

// Set is a table of options bound to one configuration, with the source of
// each current value.
type Set struct {
	prefix  string
	opts    []Option
	byKey   map[string]int // name or alias → index in opts
	ignored map[string]bool
	source  []Source
}

// New applies the defaults of opts and returns their Set. prefix names the
// environment variables of aliases (prefix + upper-case alias). A default
// its Value refuses is a mistake in the table and panics.
func New(prefix string, opts []Option) *Set {
	s := &Set{prefix: prefix, opts: opts, byKey: map[string]int{}, ignored: map[string]bool{}, source: make([]Source, len(opts))}
	for i, o := range opts {
		s.byKey[o.Name] = i
		for _, a := range o.Aliases {
			s.byKey[a] = i
		}
		s.source[i] = Default
		if o.Default != "" {
			if err := o.Value.Set(o.Default); err != nil {
				panic(fmt.Sprintf("option %s: default %q: %v", o.Name, o.Default, err))
			}
		}
	}
	return s
}

// Ignore accepts keys in the file that have no meaning (written by older
// versions) without setting anything.
func (s *Set) Ignore(keys ...string) {
	for _, k := range keys {
		s.ignored[k] = true
	}
}

// Options returns the table.
func (s *Set) Options() []Option { return s.opts }

// Source returns where the option named name got its value ("" if unknown).
func (s *Set) Source(name string) Source {
	if i, ok := s.byKey[name]; ok {
		return s.source[i]
	}
	return ""
}

// Keys lists the YAML keys, aliases included, sorted.
func (s *Set) Keys() []string {
	out := make([]string, 0, len(s.byKey))
	for k := range s.byKey {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ApplyFile sets the options named in YAML bytes (may be empty), in key
// order. It returns every problem, each as "config file: key: problem"; a
// null value leaves the option alone.
func (s *Set) ApplyFile(data []byte) []error {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return []error{fmt.Errorf("config file: not a YAML mapping: %v", err)}
	}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []error
	for _, k := range names {
		if s.ignored[k] {
			continue
		}
		i, ok := s.byKey[k]
		if !ok {
			errs = append(errs, fmt.Errorf("config file: %s: unknown key %q (known: %s)", k, k, strings.Join(s.Keys(), ", ")))
			continue
		}
		if raw[k] == nil {
			continue
		}
		if err := s.opts[i].Value.Set(raw[k]); err != nil {
			errs = append(errs, fmt.Errorf("config file: %s: %v", k, err))
			continue
		}
		s.source[i] = File
	}
	return errs
}

// ApplyEnv sets the options named in environ ("NAME=value" pairs): an
// alias's variable, then the option's, then for a secret NAME_FILE (the
// file's content, trimmed). Errors name the variable.
func (s *Set) ApplyEnv(environ []string) []error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var errs []error
	for i, o := range s.opts {
		names := make([]string, 0, len(o.Aliases)+1)
		for _, a := range o.Aliases {
			names = append(names, s.prefix+strings.ToUpper(a))
		}
		names = append(names, o.Env)
		for _, name := range names {
			if v, ok := env[name]; ok {
				if err := o.Value.Set(v); err != nil {
					errs = append(errs, fmt.Errorf("environment %s: %v", name, err))
				} else {
					s.source[i] = Env
				}
			}
			if path, ok := env[name+"_FILE"]; ok && o.Secret {
				b, err := os.ReadFile(path)
				if err == nil {
					err = o.Value.Set(strings.TrimSpace(string(b)))
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("environment %s_FILE: %v", name, err))
				} else {
					s.source[i] = Env
				}
			}
		}
	}
	return errs
}

// DefineFlags adds a flag to fs for every option that has one; a flag given
// on the command line marks its option's source as Flag.
func (s *Set) DefineFlags(fs *flag.FlagSet) {
	for i, o := range s.opts {
		if o.Flag != "" {
			fs.Var(&flagValue{s: s, i: i}, o.Flag, strings.ReplaceAll(o.Meaning, "`", ""))
		}
	}
}

// flagValue is an option as a flag.Value.
type flagValue struct {
	s *Set
	i int
}

func (f *flagValue) Set(v string) error {
	if err := f.s.opts[f.i].Value.Set(v); err != nil {
		return err
	}
	f.s.source[f.i] = Flag
	return nil
}

func (f *flagValue) String() string {
	if f == nil || f.s == nil { // the flag package calls String on a zero value
		return ""
	}
	return f.s.opts[f.i].Value.String()
}

// IsBoolFlag lets a boolean flag stand alone (--local-agent).
func (f *flagValue) IsBoolFlag() bool {
	b, ok := f.s.opts[f.i].Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Funcs makes a Value of a setter and a printer.
func Funcs(set func(v any) error, show func() string) Value { return funcs{set, show} }

type funcs struct {
	set  func(any) error
	show func() string
}

func (f funcs) Set(v any) error { return f.set(v) }
func (f funcs) String() string  { return f.show() }

// Scalar turns a single YAML value (or a string) into text; lists and
// mappings are refused.
func Scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int, float64, bool:
		return fmt.Sprint(v), nil
	}
	return "", fmt.Errorf("must be a single value, not %T", v)
}
