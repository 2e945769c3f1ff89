package agent

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/homelabcmd/homelabcmd/config/option/optiontest"
)

// row is one line of the README's "Config keys" table.
type row struct{ Key, Default, Meaning string }

// The README's table is the documentation of agentOptions: same keys (and
// aliases), in the same order, with the same defaults and text. Variables
// follow the rule the README states, HOMELAB_CMD_AGENT_<KEY>.
func TestReadmeConfigKeysTableMatchesOptions(t *testing.T) {
	var readme []row
	for _, r := range optiontest.ReadmeTable(t, "../README.md", "### Config keys") {
		readme = append(readme, row{r["key"], r["default"], r["meaning"]})
	}
	var code []row
	for _, o := range agentOptions(&Config{}) {
		key := "`" + o.Name + "`"
		for _, a := range o.Aliases {
			key += " (alias `" + a + "`)"
		}
		code = append(code, row{key, o.ShownDefault(), o.Meaning})
		if want := EnvPrefix + strings.ToUpper(o.Name); o.Env != want || o.Flag != "" {
			t.Errorf("%s: env %q flag %q, want env %q and no flag", o.Name, o.Env, o.Flag, want)
		}
	}
	if diff := cmp.Diff(readme, code); diff != "" {
		t.Fatalf("README.md Config keys table (-readme +code):\n%s", diff)
	}
}
