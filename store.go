package homelabcmd

import (
	"context"
	"time"
)

// ServerStore keeps servers. Methods return ENOTFOUND, ECONFLICT or EINVALID
// as documented on the sqlstore implementation.
type ServerStore interface {
	CreateServer(ctx context.Context, s *Server) error
	FindServer(ctx context.Context, id string) (*Server, error)
	ListServers(ctx context.Context) ([]*Server, error)
	UpdateServer(ctx context.Context, id string, upd ServerUpdate) (*Server, error)
	SetServerPaused(ctx context.Context, id string, paused bool) (*Server, error)
	DeleteServer(ctx context.Context, id string) error
}

// ServiceStore keeps expected services and their status history.
type ServiceStore interface {
	CreateExpectedService(ctx context.Context, s *ExpectedService) error
	ListExpectedServices(ctx context.Context, serverID string) ([]*ExpectedService, error)
	FindExpectedService(ctx context.Context, serverID, name string) (*ExpectedService, error)
	UpdateExpectedService(ctx context.Context, serverID, name string, upd ExpectedServiceUpdate) (*ExpectedService, error)
	DeleteExpectedService(ctx context.Context, serverID, name string) error
	ServiceHistory(ctx context.Context, serverID, name string, f HistoryFilter) ([]ServiceStatus, int64, error)
}

// HistoryFilter selects status history samples, newest first. Before is a
// cursor: the id of the last sample of the previous page.
type HistoryFilter struct {
	From, To *time.Time
	Limit    int
	Before   int64
}

// AlertFilter selects alerts; empty fields match everything.
type AlertFilter struct {
	Status, Severity, ServerID, AlertType string
	Limit, Offset                         int
}
