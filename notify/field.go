package notify

// ConfigField describes one key of a provider's JSON config, so that a form can be
// generated from it (GET /api/v1/notifications/providers). Validation here
// is a hint for the form; the provider's Validate is the rule.
type ConfigField struct {
	// Name is the JSON key in the channel's config.
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type is string, url, int, bool, list (of strings) or enum.
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// Secret fields are masked (Mask) when read back; sending the mask
	// keeps the stored value.
	Secret bool   `json:"secret"`
	Help   string `json:"help,omitempty"`
	// Default is what Validate fills in when the field is left empty.
	Default     any      `json:"default,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Options     []string `json:"options,omitempty"`
	MinLength   int      `json:"min_length,omitempty"`
	Min         *int     `json:"min,omitempty"`
	Max         *int     `json:"max,omitempty"`
	// Pattern is a regular expression (JavaScript syntax) the whole value
	// must match.
	Pattern string `json:"pattern,omitempty"`
}

// ConfigField types.
const (
	FieldString = "string"
	FieldURL    = "url"
	FieldInt    = "int"
	FieldBool   = "bool"
	FieldList   = "list"
	FieldEnum   = "enum"
)

// IntRange returns min and max pointers for a ConfigField.
func IntRange(min, max int) (*int, *int) { return &min, &max }
