package alerting

// Pin is a threshold given explicitly in the hub's configuration (flag,
// environment or file). The one precedence rule: an explicit setting wins
// over a value stored from the dashboard, which shows it read-only with its
// source; a setting left at its default is the dashboard's to change.
type Pin struct {
	// Option is the configuration key, e.g. offline_timeout.
	Option string `json:"option"`
	// Source is flag, env or file.
	Source string `json:"source"`
	// Via says how to change it: "--offline-timeout", the variable's name
	// or the config file's key.
	Via   string `json:"via"`
	Value string `json:"value"`
}
