package agentcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/homelabcmd/homelabcmd/agent"
	"github.com/homelabcmd/homelabcmd/config/option"
)

// Dump is `agent config dump`: the agent's effective configuration, read as
// the agent reads it (same --config and variables), each value with its
// source and secrets masked. A missing file is a note, not an error, so
// that the environment alone can be checked; an invalid configuration is
// printed, then reported as the error.
func Dump(prog string, args, env []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet(prog+" config dump", flag.ContinueOnError)
	fset.SetOutput(stderr)
	configPath := fset.String("config", envValue(env, agent.EnvPrefix+"CONFIG", agent.DefaultConfigPath), "YAML config file (also "+agent.EnvPrefix+"CONFIG)")
	asJSON := fset.Bool("json", false, "print JSON instead of a table")
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "Usage: %s config dump [--config FILE] [--json]\n\nPrints each config key, where its value came from (default, file, env), secrets masked.\n\n", prog)
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fset.Arg(0))
	}
	d := &option.Dump{}
	data, err := os.ReadFile(*configPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.Notes = append(d.Notes, fmt.Sprintf("no config file at %s: defaults and environment only", *configPath))
	case err != nil:
		return fmt.Errorf("config file: %w", err)
	default:
		d.ConfigFile = *configPath
	}
	cfg, set, err := agent.LoadConfig(data, env)
	if err != nil {
		return fmt.Errorf("%s:\n%w", *configPath, err)
	}
	invalid := cfg.Validate(false)
	if invalid != nil {
		d.Notes = append(d.Notes, "invalid:\n"+invalid.Error())
	}
	d.Options = set.Entries()
	if err := d.Write(stdout, *asJSON); err != nil {
		return err
	}
	return invalid
}
