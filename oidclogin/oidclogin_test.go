package oidclogin

import (
	"testing"

	"github.com/homelabcmd/homelabcmd"
)

func TestParseRolesAndMapRole(t *testing.T) {
	roles, err := ParseRoles(" homelab-admins=admin, ops=operator,family=viewer ,")
	if err != nil || len(roles) != 3 {
		t.Fatalf("%v %v", roles, err)
	}
	for _, bad := range []string{"", ",", "admins", "admins=root", "=admin"} {
		if _, err := ParseRoles(bad); homelabcmd.ErrorCode(err) != homelabcmd.EINVALID {
			t.Errorf("ParseRoles(%q) = %v, want invalid", bad, err)
		}
	}
	for _, tc := range []struct {
		name  string
		claim any
		want  homelabcmd.Role
	}{
		{"a string", "ops", homelabcmd.RoleOperator},
		{"a list: the highest wins", []any{"family", "homelab-admins", "ops"}, homelabcmd.RoleAdmin},
		{"a list of strings", []string{"family", "other"}, homelabcmd.RoleViewer},
		{"no match", []any{"guests", 3}, ""},
		{"missing", nil, ""},
		{"a number", 42.0, ""},
		{"case matters", "OPS", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MapRole(tc.claim, roles)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("MapRole(%v) = %q %v, want %q", tc.claim, got, ok, tc.want)
			}
		})
	}
}
