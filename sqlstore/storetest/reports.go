package storetest

import (
	"time"

	"github.com/homelabcmd/homelabcmd"
)

// Heartbeat is a report of serverID at ts with fixed metrics (cpu 12.5 %,
// memory 40 %, disk 63.2 %) and the given services.
func Heartbeat(serverID string, ts time.Time, services ...homelabcmd.ServiceReport) *homelabcmd.Heartbeat {
	return &homelabcmd.Heartbeat{ServerID: serverID, Hostname: serverID, Timestamp: homelabcmd.Time{Time: ts},
		Metrics:  &homelabcmd.Metrics{CPUPercent: ptr(12.5), MemoryPercent: ptr(40.0), DiskPercent: ptr(63.2)},
		Services: services}
}

// Report is a service report; a running one has a pid, memory and CPU.
func Report(name string, st homelabcmd.ServiceStatusValue) homelabcmd.ServiceReport {
	r := homelabcmd.ServiceReport{Name: name, Status: st}
	if st == homelabcmd.StatusRunning {
		r.PID, r.MemoryMB, r.CPUPercent = ptr(1234), ptr(512.0), ptr(180.0)
	}
	return r
}

func ptr[T any](v T) *T { return &v }
