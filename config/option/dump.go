package option

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Masked is what a dump shows for a secret that is set, Unset for any
// option that is empty.
const (
	Masked = "********"
	Unset  = "(unset)"
)

// Entry is one line of a dump: an option's effective value (a secret
// masked) and where it came from.
type Entry struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Env    string `json:"env"`
	Flag   string `json:"flag,omitempty"`
	Secret bool   `json:"secret,omitempty"`
	// Note explains an override, e.g. which value a stored one replaced.
	Note string `json:"note,omitempty"`
}

// Entries lists every option in table order, secrets masked.
func (s *Set) Entries() []Entry {
	out := make([]Entry, len(s.opts))
	for i, o := range s.opts {
		v := o.Value.String()
		switch {
		case v == "":
			v = Unset
		case o.Secret:
			v = Masked
		}
		flagName := ""
		if o.Flag != "" {
			flagName = "--" + o.Flag
		}
		out[i] = Entry{Name: o.Name, Value: v, Source: s.source[i], Env: o.Env, Flag: flagName, Secret: o.Secret}
	}
	return out
}

// Dump is the effective configuration of one binary.
type Dump struct {
	ConfigFile string  `json:"config_file"`
	Options    []Entry `json:"options"`
	// Notes say what could not be read (e.g. the database) or is invalid.
	Notes []string `json:"notes,omitempty"`
}

// Entry returns the entry named name, nil if there is none.
func (d *Dump) Entry(name string) *Entry {
	for i := range d.Options {
		if d.Options[i].Name == name {
			return &d.Options[i]
		}
	}
	return nil
}

// WriteText writes the dump as an aligned table (the flags, named like
// the options, are left to --help and the JSON).
func (d *Dump) WriteText(w io.Writer) error {
	file := d.ConfigFile
	if file == "" {
		file = "(none)"
	}
	fmt.Fprintf(w, "config file: %s\n\n", file)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVALUE\tSOURCE\tENV")
	for _, e := range d.Options {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s", e.Name, e.Value, e.Source, e.Env)
		if e.Note != "" {
			fmt.Fprintf(tw, "\t# %s", e.Note)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "\nnote: %s", n)
	}
	if len(d.Notes) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}

// WriteJSON writes the dump as indented JSON.
func (d *Dump) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// FormatDuration prints a duration the way one would write it: 3m, 720h,
// 1m30s (time.Duration's String says 3m0s, 720h0m0s).
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Write prints the dump as JSON or as a table.
func (d *Dump) Write(w io.Writer, asJSON bool) error {
	if asJSON {
		return d.WriteJSON(w)
	}
	return d.WriteText(w)
}
