package registry_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/homelabcmd/homelabcmd/notify"
	"github.com/homelabcmd/homelabcmd/notify/registry"
)

// TestProviderFieldsMatchConfig keeps each provider's form description true
// to its config: one field per JSON key, the secret flags on exactly the
// fields Secrets() points at, and a required field is required by Validate.
func TestProviderFieldsMatchConfig(t *testing.T) {
	types := map[string]bool{notify.FieldString: true, notify.FieldURL: true, notify.FieldInt: true, notify.FieldBool: true, notify.FieldList: true, notify.FieldEnum: true}
	provs := registry.Providers()
	if len(provs) != len(registry.Kinds()) {
		t.Fatalf("%d providers described, %d kinds", len(provs), len(registry.Kinds()))
	}
	for _, p := range provs {
		t.Run(p.Type, func(t *testing.T) {
			c, err := registry.Parse(p.Type, json.RawMessage(valid[p.Type]))
			if err != nil {
				t.Fatal(err)
			}
			v := reflect.ValueOf(c).Elem()
			var keys, secretKeys []string
			for i := range v.NumField() {
				key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
				keys = append(keys, key)
				for _, sp := range c.Secrets() {
					if v.Field(i).Addr().Interface() == any(sp) {
						secretKeys = append(secretKeys, key)
					}
				}
			}
			var names, secretNames []string
			for _, f := range p.Fields {
				names = append(names, f.Name)
				if f.Secret {
					secretNames = append(secretNames, f.Name)
				}
				if !types[f.Type] || f.Label == "" {
					t.Errorf("%s: type %q label %q", f.Name, f.Type, f.Label)
				}
				if f.Type == notify.FieldEnum && len(f.Options) == 0 {
					t.Errorf("%s: enum without options", f.Name)
				}
				if f.Required {
					var m map[string]any
					if err := json.Unmarshal([]byte(valid[p.Type]), &m); err != nil {
						t.Fatal(err)
					}
					if _, ok := m[f.Name]; !ok {
						t.Errorf("%s is required but the valid example lacks it", f.Name)
					}
					delete(m, f.Name)
					raw, _ := json.Marshal(m)
					if _, err := registry.Parse(p.Type, raw); err == nil {
						t.Errorf("%s is marked required but a config without it is valid", f.Name)
					}
				}
			}
			slices.Sort(keys)
			slices.Sort(names)
			slices.Sort(secretKeys)
			slices.Sort(secretNames)
			if !slices.Equal(keys, names) {
				t.Errorf("fields %v, config keys %v", names, keys)
			}
			if !slices.Equal(secretKeys, secretNames) {
				t.Errorf("secret fields %v, Secrets() %v", secretNames, secretKeys)
			}
		})
	}
}
