package agentless

import (
	"context"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// checkJump validates a target's jump host: another existing server that
// is not itself reached through one (one hop). EINVALID, ENOTFOUND.
func (s *Service) checkJump(ctx context.Context, t homelabcmd.SSHTarget) error {
	if t.JumpServerID == nil {
		return nil
	}
	jump := *t.JumpServerID
	if jump == t.ServerID {
		return homelabcmd.FieldError("jump_server_id", "a server cannot be its own jump host")
	}
	if _, err := s.store.FindServer(ctx, jump); homelabcmd.IsNotFound(err) {
		return homelabcmd.FieldError("jump_server_id", "jump_server_id: no server '%s'", jump)
	} else if err != nil {
		return err
	}
	if jt, err := s.store.SSHTarget(ctx, jump); err == nil && jt.JumpServerID != nil {
		return homelabcmd.FieldError("jump_server_id", "server '%s' is itself reached through a jump host; only one hop is supported", jump)
	}
	return nil
}

// JumpServer names the server serverID is reached through, nil when none.
func (s *Service) JumpServer(ctx context.Context, serverID string) *string {
	t, err := s.store.SSHTarget(ctx, serverID)
	if err != nil {
		return nil
	}
	return t.JumpServerID
}

// jumpHost logs in to serverID's jump host, when it has one (nil, "" when
// not): with the jump server's own target and credentials, audited.
func (s *Service) jumpHost(ctx context.Context, actor, action, serverID string) (*sshx.Conn, string, error) {
	jump := s.JumpServer(ctx, serverID)
	if jump == nil {
		return nil, "", nil
	}
	if s.JumpServer(ctx, *jump) != nil {
		return nil, "", homelabcmd.Errorf(homelabcmd.EBADREQUEST, "Server '%s' is reached through '%s', which has a jump host itself; only one hop is supported", serverID, *jump)
	}
	jt, err := s.ServerTarget(ctx, *jump)
	if err != nil {
		return nil, "", err
	}
	conn, err := s.connect(ctx, actor, action+" (jump host)", jt, *jump)
	if err != nil {
		return nil, "", err
	}
	return conn, jt.Addr(), nil
}
