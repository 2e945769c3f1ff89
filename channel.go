package homelabcmd

var severityRank = map[string]int{SeverityLow: 1, SeverityMedium: 2, SeverityHigh: 3, SeverityCritical: 4}

// SeverityRank orders severities: low 1 … critical 4; 0 for an unknown one.
func SeverityRank(s string) int { return severityRank[s] }

// ValidateSeverity accepts low, medium, high and critical. EINVALID.
func ValidateSeverity(field, s string) error {
	if severityRank[s] == 0 {
		return FieldError(field, "must be one of low, medium, high, critical")
	}
	return nil
}

// Validate checks the name and minimum severity (the config is checked by
// notify/registry). EINVALID.
func (c *Channel) Validate() error {
	if c.Name == "" || len(c.Name) > 100 {
		return FieldError("name", "name must be 1-100 characters")
	}
	if err := CheckText("name", c.Name, 100); err != nil {
		return err
	}
	if c.MinSeverity == "" {
		c.MinSeverity = SeverityMedium
	}
	if c.ServerIDs == nil {
		c.ServerIDs = []string{}
	}
	if c.AlertTypes == nil {
		c.AlertTypes = []string{}
	}
	if c.Severities == nil {
		c.Severities = []string{}
	}
	for _, s := range c.Severities {
		if err := ValidateSeverity("severities", s); err != nil {
			return err
		}
	}
	for _, id := range c.ServerIDs {
		if ValidateServerID(id) != nil {
			return FieldError("server_ids", "%q is not a server id", id)
		}
	}
	for _, t := range c.AlertTypes {
		if _, ok := LookupAlertKind(t); !ok {
			return FieldError("alert_types", "unknown alert type %q", t)
		}
	}
	return ValidateSeverity("min_severity", c.MinSeverity)
}

// Apply merges a partial update into c (the config, which needs the
// provider to keep secrets, is the caller's) and validates the result.
func (c *Channel) Apply(u ChannelUpdate) error {
	if u.Name != nil {
		c.Name = *u.Name
	}
	if u.MinSeverity != nil {
		c.MinSeverity = *u.MinSeverity
	}
	if u.SendResolved != nil {
		c.SendResolved = *u.SendResolved
	}
	if u.Enabled != nil {
		c.Enabled = *u.Enabled
	}
	if u.ServerIDs != nil {
		c.ServerIDs = *u.ServerIDs
	}
	if u.AlertTypes != nil {
		c.AlertTypes = *u.AlertTypes
	}
	if u.Severities != nil {
		c.Severities = *u.Severities
	}
	return c.Validate()
}
