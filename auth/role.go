package auth

import (
	"fmt"
	"strings"
)

// Role is what a principal may do. Roles are ordered: each includes the ones below.
type Role int

// Roles, lowest first. The zero Role grants nothing.
const (
	// RoleNone is no access at all (an unauthenticated request).
	RoleNone Role = iota
	// RoleViewer sees dashboards and exports them.
	RoleViewer
	// RoleAnalyst also uses the SQL workbench and downloads data.
	RoleAnalyst
	// RoleAdmin also manages sources, sync runs, users and the audit trail.
	RoleAdmin
)

var roleNames = [...]string{"none", "viewer", "analyst", "admin"}

// String returns the role's configuration name.
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("role(%d)", int(r))
	}
	return roleNames[r]
}

// AtLeast reports whether r includes min.
func (r Role) AtLeast(min Role) bool { return r >= min }

// MarshalText writes the role's name (users file, JSON API).
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseRole reads viewer, analyst or admin.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "viewer":
		return RoleViewer, nil
	case "analyst":
		return RoleAnalyst, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("%q is not a role (viewer, analyst, admin)", s)
}
