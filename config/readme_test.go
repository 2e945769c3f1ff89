package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/homelabcmd/homelabcmd/config/option/optiontest"
)

// row is one line of the README's "Configuration" table.
type row struct{ Name, Env, Flag, Default, Meaning string }

// The README's table is the documentation of hubOptions: same options, in
// the same order, with the same names, variables, flags, defaults and text.
func TestReadmeConfigurationTableMatchesOptions(t *testing.T) {
	var readme []row
	for _, r := range optiontest.ReadmeTable(t, "../README.md", "## Configuration") {
		readme = append(readme, row{r["name"], r["env"], r["flag"], r["default"], r["meaning"]})
	}
	var code []row
	for _, o := range hubOptions(&Hub{}) {
		env := "`" + o.Env + "`"
		if o.Secret {
			env += " (or `_FILE`)"
		}
		code = append(code, row{o.Name, env, "`--" + o.Flag + "`", o.ShownDefault(), o.Meaning})
	}
	if diff := cmp.Diff(readme, code); diff != "" {
		t.Fatalf("README.md Configuration table (-readme +code):\n%s", diff)
	}
}
