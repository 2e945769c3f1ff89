package homelabcmd

import (
	"fmt"
	"time"
)

// Package is one upgradable package an agent reports (the original's
// heartbeat packages[] item): installed and candidate version, the
// repository the candidate comes from, and whether it is a security update.
type Package struct {
	Name           string `json:"name"`
	CurrentVersion string `json:"current_version"`
	NewVersion     string `json:"new_version"`
	Repository     string `json:"repository"`
	IsSecurity     bool   `json:"is_security"`
}

// PendingPackage is a stored Package: when it was first seen pending and
// when last reported changed.
type PendingPackage struct {
	Package
	DetectedAt time.Time `json:"detected_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MaxPackagesPerHeartbeat bounds the packages one heartbeat may report (a
// machine a year behind has a few thousand).
const MaxPackagesPerHeartbeat = 10000

func validatePackages(list *[]Package) error {
	if list == nil {
		return nil
	}
	if len(*list) > MaxPackagesPerHeartbeat {
		return FieldError("packages", "a heartbeat may report at most %d packages, not %d", MaxPackagesPerHeartbeat, len(*list))
	}
	for i := range *list {
		p := &(*list)[i]
		path := fmt.Sprintf("packages.%d", i)
		p.CurrentVersion, p.NewVersion, p.Repository = SanitizeText(p.CurrentVersion), SanitizeText(p.NewVersion), SanitizeText(p.Repository)
		if p.Name == "" || len(p.Name) > 255 {
			return FieldError(path+".name", "name must be 1-255 characters")
		}
		if err := CheckText(path+".name", p.Name, 255); err != nil {
			return err
		}
		if p.CurrentVersion == "" || len(p.CurrentVersion) > 100 || p.NewVersion == "" || len(p.NewVersion) > 100 {
			return FieldError(path, "current_version and new_version must be 1-100 characters")
		}
		if p.Repository == "" || len(p.Repository) > 255 {
			return FieldError(path+".repository", "repository must be 1-255 characters")
		}
	}
	return nil
}
