package homelabcmd

import "time"

// Metrics is one host metrics sample as the agent reports it. Every field is
// optional: an agent may not be able to read some of them.
type Metrics struct {
	CPUPercent     *float64 `json:"cpu_percent"`
	MemoryPercent  *float64 `json:"memory_percent"`
	MemoryTotalMB  *int64   `json:"memory_total_mb"`
	MemoryUsedMB   *int64   `json:"memory_used_mb"`
	DiskPercent    *float64 `json:"disk_percent"`
	DiskTotalGB    *float64 `json:"disk_total_gb"`
	DiskUsedGB     *float64 `json:"disk_used_gb"`
	NetworkRxBytes *int64   `json:"network_rx_bytes"`
	NetworkTxBytes *int64   `json:"network_tx_bytes"`
	Load1m         *float64 `json:"load_1m"`
	Load5m         *float64 `json:"load_5m"`
	Load15m        *float64 `json:"load_15m"`
	UptimeSeconds  *int64   `json:"uptime_seconds"`
}

// MetricsSample is a stored Metrics row with its server and agent timestamp.
type MetricsSample struct {
	ServerID  string    `json:"server_id"`
	Timestamp time.Time `json:"timestamp"`
	Metrics
}

// MetricPoint is one (possibly downsampled) chart point.
type MetricPoint struct {
	Timestamp     time.Time `json:"timestamp"`
	CPUPercent    *float64  `json:"cpu_percent"`
	MemoryPercent *float64  `json:"memory_percent"`
	DiskPercent   *float64  `json:"disk_percent"`
}
