package agentless

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/sshx"
)

// maxSecretBytes bounds a stored credential (a large RSA key is ~3.3 kB).
const maxSecretBytes = 16 << 10

// aad binds a sealed credential to its row: moved elsewhere, it won't open.
func aad(serverID, ctype string) string { return "ssh_credential\x00" + serverID + "\x00" + ctype }

func scopeName(serverID string) string {
	if serverID == "" {
		return "default"
	}
	return "server " + serverID
}

// SetCredential seals and stores a credential of a server (serverID "":
// the default for every host). A private key must parse (and carry no
// passphrase). EINVALID, EBADREQUEST, ENOTFOUND.
func (s *Service) SetCredential(ctx context.Context, actor, serverID, ctype, value string) (*homelabcmd.SSHCredential, error) {
	if err := homelabcmd.ValidateCredentialType(ctype); err != nil {
		return nil, err
	}
	if value == "" || len(value) > maxSecretBytes {
		return nil, homelabcmd.FieldError("value", "value must be 1 to %d bytes", maxSecretBytes)
	}
	if ctype == homelabcmd.CredSSHPrivateKey {
		if _, err := ssh.ParsePrivateKey([]byte(value)); err != nil {
			return nil, homelabcmd.FieldError("value", "value must be an unencrypted SSH private key (PEM or OpenSSH format)")
		}
	}
	if serverID != "" {
		if _, err := s.store.FindServer(ctx, serverID); err != nil {
			return nil, err
		}
	}
	box, err := s.keys()
	if err != nil {
		return nil, err
	}
	c, err := s.store.PutSSHCredential(ctx, serverID, ctype, box.Seal([]byte(value), aad(serverID, ctype)), actor)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_set", Target: scopeName(serverID), ServerID: c.ServerID,
		Credential: scopeName(serverID) + " " + ctype})
	return c, nil
}

// DeleteCredential removes a credential. ENOTFOUND.
func (s *Service) DeleteCredential(ctx context.Context, actor, serverID, ctype string) error {
	if err := homelabcmd.ValidateCredentialType(ctype); err != nil {
		return err
	}
	if err := s.store.DeleteSSHCredential(ctx, serverID, ctype); err != nil {
		return err
	}
	var sid *string
	if serverID != "" {
		sid = &serverID
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "credential_delete", Target: scopeName(serverID), ServerID: sid,
		Credential: scopeName(serverID) + " " + ctype})
	return nil
}

// CredentialStatus is one credential type of a server as the API shows it:
// whether one applies and from where, never the secret.
type CredentialStatus struct {
	CredentialType string     `json:"credential_type"`
	Configured     bool       `json:"configured"`
	Scope          *string    `json:"scope"` // "server" | "default" | null
	UpdatedAt      *time.Time `json:"updated_at"`
}

// Credentials shows which credential of each type applies to a server.
func (s *Service) Credentials(ctx context.Context, serverID string) ([]CredentialStatus, error) {
	if _, err := s.store.FindServer(ctx, serverID); err != nil {
		return nil, err
	}
	own, err := s.store.ListSSHCredentials(ctx, serverID)
	if err != nil {
		return nil, err
	}
	defaults, err := s.store.ListSSHCredentials(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]CredentialStatus, 0, len(homelabcmd.CredentialTypes))
	for _, t := range homelabcmd.CredentialTypes {
		st := CredentialStatus{CredentialType: t}
		for scope, list := range map[string][]*homelabcmd.SSHCredential{"server": own, "default": defaults} {
			for _, c := range list {
				if c.CredentialType == t && (st.Scope == nil || scope == "server") {
					sc := scope
					st.Configured, st.Scope, st.UpdatedAt = true, &sc, &c.UpdatedAt
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// open returns a credential's secret, the server's own first, else the
// default ("" and "" when neither exists).
func (s *Service) open(ctx context.Context, serverID, ctype string) (secret, from string, err error) {
	scopes := []string{""}
	if serverID != "" {
		scopes = []string{serverID, ""}
	}
	for _, scope := range scopes {
		sealed, err := s.store.SealedSSHCredential(ctx, scope, ctype)
		if homelabcmd.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		box, err := s.keys()
		if err != nil {
			return "", "", err
		}
		plain, err := box.Open(sealed, aad(scope, ctype))
		if err != nil {
			s.logger.Error("credential cannot be decrypted", "scope", scopeName(scope), "type", ctype)
			return "", "", &homelabcmd.Error{Code: homelabcmd.EINTERNAL, Message: "A stored credential cannot be decrypted with the key file",
				Data: map[string]any{"code": "NO_ENCRYPTION_KEY"}}
		}
		return string(plain), scopeName(scope) + " " + ctype, nil
	}
	return "", "", nil
}

// resolveAuth finds the key and password for a server (host → default,
// per type) and says which were used, for the audit.
func (s *Service) resolveAuth(ctx context.Context, serverID string) (sshx.Auth, string, error) {
	key, keyFrom, err := s.open(ctx, serverID, homelabcmd.CredSSHPrivateKey)
	if err != nil {
		return sshx.Auth{}, "", err
	}
	pw, pwFrom, err := s.open(ctx, serverID, homelabcmd.CredSSHPassword)
	if err != nil {
		return sshx.Auth{}, "", err
	}
	used := strings.TrimSpace(strings.Join([]string{keyFrom, pwFrom}, " + "))
	used = strings.Trim(used, " +")
	if key == "" && pw == "" {
		return sshx.Auth{}, "", &homelabcmd.Error{Code: homelabcmd.EBADREQUEST,
			Message: "No SSH key or password for " + scopeName(serverID) + " nor a default one; add one first",
			Data:    map[string]any{"code": "NO_SSH_KEY"}}
	}
	return sshx.Auth{PrivateKey: []byte(key), Password: pw}, used, nil
}

// pins adapts the store to sshx.Pins.
type pins struct{ store Store }

func (p pins) PinnedHostKey(ctx context.Context, addr string) ([]byte, error) {
	return p.store.PinnedHostKey(ctx, addr)
}

func (p pins) PinHostKey(ctx context.Context, addr string, k ssh.PublicKey) error {
	return p.store.PinHostKey(ctx, homelabcmd.HostKey{Addr: addr, KeyType: k.Type(), Fingerprint: ssh.FingerprintSHA256(k), Key: k.Marshal()})
}

// connect logs in to t with serverID's credentials, auditing the attempt
// under action. A changed host key is ECONFLICT with code HOST_KEY_CHANGED.
func (s *Service) connect(ctx context.Context, actor, action string, t sshx.Target, serverID string) (*sshx.Conn, error) {
	auth, used, err := s.resolveAuth(ctx, serverID)
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: action, Target: t.Addr(), Credential: used}
	if serverID != "" {
		entry.ServerID = &serverID
	}
	if err != nil {
		entry.Outcome, entry.Detail = "error", homelabcmd.ErrorMessage(err)
		s.audit(ctx, entry)
		return nil, err
	}
	return s.connectWith(ctx, actor, action, t, serverID, auth, used)
}

// connectWith is connect with the credentials given (used names them in
// the audit).
func (s *Service) connectWith(ctx context.Context, actor, action string, t sshx.Target, serverID string, auth sshx.Auth, used string) (*sshx.Conn, error) {
	entry := homelabcmd.RemoteAudit{Actor: actor, Action: action, Target: t.Addr(), Credential: used}
	if serverID != "" {
		entry.ServerID = &serverID
	}
	settings, err := s.SSHSettings(ctx)
	if err != nil {
		return nil, err
	}
	c := &sshx.Client{Pins: pins{s.store}, Timeout: time.Duration(settings.ConnectionTimeout) * time.Second}
	var conn *sshx.Conn
	jump, via, err := s.jumpHost(ctx, actor, action, serverID)
	switch {
	case err != nil:
		return nil, err
	case jump != nil:
		entry.Target = t.Addr() + " via " + via
		conn, err = c.ConnectVia(ctx, jump, via, t, auth)
	default:
		conn, err = c.Connect(ctx, t, auth)
	}
	if err != nil {
		var hk *sshx.HostKeyChangedError
		if errors.As(err, &hk) {
			entry.Outcome, entry.Detail = "refused", hk.Error()
			s.audit(ctx, entry)
			s.logger.Warn("ssh host key changed: refused", "addr", hk.Addr, "pinned", hk.Pinned, "presented", hk.Presented)
			return nil, &homelabcmd.Error{Code: homelabcmd.ECONFLICT, Message: hk.Error(), Data: map[string]any{
				"code": "HOST_KEY_CHANGED", "pinned_fingerprint": hk.Pinned, "presented_fingerprint": hk.Presented}}
		}
		entry.Outcome, entry.Detail = "error", err.Error()
		s.audit(ctx, entry)
		return nil, &homelabcmd.Error{Code: homelabcmd.EBADREQUEST, Message: "SSH to " + t.Addr() + " failed: " + err.Error(),
			Data: map[string]any{"code": "SSH_ERROR"}}
	}
	entry.Detail = "host key " + conn.HostKey
	if conn.NewHostKey {
		entry.Detail += " (pinned on first use)"
	}
	s.audit(ctx, entry)
	return conn, nil
}

// GenerateKey makes a new ed25519 key pair: the PEM private key and the
// authorized_keys line to put on hosts.
func GenerateKey(comment string) (private, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return "", "", err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment, nil
}

// SSHKey describes a stored private key by its public half.
type SSHKey struct {
	ID          string    `json:"id"` // "default" or the server id
	ServerID    *string   `json:"server_id"`
	KeyType     string    `json:"key_type"`
	Fingerprint string    `json:"fingerprint"`
	PublicKey   string    `json:"public_key"`
	IsDefault   bool      `json:"is_default"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// DefaultKey returns the default private key's public half. ENOTFOUND.
func (s *Service) DefaultKey(ctx context.Context) (*SSHKey, error) {
	list, err := s.store.ListSSHCredentials(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.CredentialType != homelabcmd.CredSSHPrivateKey {
			continue
		}
		priv, _, err := s.open(ctx, "", homelabcmd.CredSSHPrivateKey)
		if err != nil {
			return nil, err
		}
		signer, err := ssh.ParsePrivateKey([]byte(priv))
		if err != nil {
			return nil, fmt.Errorf("stored key: %w", err)
		}
		pk := signer.PublicKey()
		return &SSHKey{ID: "default", KeyType: pk.Type(), Fingerprint: ssh.FingerprintSHA256(pk),
			PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), IsDefault: true, UpdatedAt: c.UpdatedAt}, nil
	}
	return nil, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "No default SSH key")
}

// SSHSettings are the defaults for SSH connections.
type SSHSettings struct {
	DefaultUsername    string `json:"default_username"`
	DefaultPort        int    `json:"default_port"`
	ConnectionTimeout  int    `json:"connection_timeout"` // seconds
	HasDefaultKey      bool   `json:"has_default_key"`
	HasDefaultPassword bool   `json:"has_default_password"`
}

// SSHSettings returns the SSH defaults (root, 22, 10 s unless changed).
func (s *Service) SSHSettings(ctx context.Context) (*SSHSettings, error) {
	out := &SSHSettings{DefaultUsername: "root", DefaultPort: 22, ConnectionTimeout: 10}
	raw, err := s.store.RemoteSetting(ctx, "ssh")
	if err != nil {
		return nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			return nil, err
		}
	}
	list, err := s.store.ListSSHCredentials(ctx, "")
	if err != nil {
		return nil, err
	}
	out.HasDefaultKey, out.HasDefaultPassword = false, false
	for _, c := range list {
		out.HasDefaultKey = out.HasDefaultKey || c.CredentialType == homelabcmd.CredSSHPrivateKey
		out.HasDefaultPassword = out.HasDefaultPassword || c.CredentialType == homelabcmd.CredSSHPassword
	}
	return out, nil
}

// SSHSettingsPatch changes SSH defaults; nil fields stay.
type SSHSettingsPatch struct {
	DefaultUsername   *string `json:"default_username"`
	DefaultPort       *int    `json:"default_port"`
	ConnectionTimeout *int    `json:"connection_timeout"`
}

// UpdateSSHSettings validates and stores a patch. EINVALID.
func (s *Service) UpdateSSHSettings(ctx context.Context, p SSHSettingsPatch) (*SSHSettings, error) {
	cur, err := s.SSHSettings(ctx)
	if err != nil {
		return nil, err
	}
	if p.DefaultUsername != nil {
		if err := homelabcmd.ValidateSSHUser("default_username", *p.DefaultUsername); err != nil {
			return nil, err
		}
		cur.DefaultUsername = *p.DefaultUsername
	}
	if p.DefaultPort != nil {
		if err := homelabcmd.ValidatePort("default_port", *p.DefaultPort); err != nil {
			return nil, err
		}
		cur.DefaultPort = *p.DefaultPort
	}
	if p.ConnectionTimeout != nil {
		if *p.ConnectionTimeout < 1 || *p.ConnectionTimeout > 120 {
			return nil, homelabcmd.FieldError("connection_timeout", "connection_timeout must be 1 to 120 seconds")
		}
		cur.ConnectionTimeout = *p.ConnectionTimeout
	}
	b, _ := json.Marshal(map[string]any{"default_username": cur.DefaultUsername, "default_port": cur.DefaultPort, "connection_timeout": cur.ConnectionTimeout})
	if err := s.store.PutRemoteSetting(ctx, "ssh", string(b)); err != nil {
		return nil, err
	}
	return cur, nil
}

// HostKeys lists the pinned host keys.
func (s *Service) HostKeys(ctx context.Context) ([]*homelabcmd.HostKey, error) {
	return s.store.ListHostKeys(ctx)
}

// ForgetHostKey drops a pin (after an expected key change), audited. ENOTFOUND.
func (s *Service) ForgetHostKey(ctx context.Context, actor, addr string) error {
	if err := s.store.DeleteHostKey(ctx, addr); err != nil {
		return err
	}
	s.audit(ctx, homelabcmd.RemoteAudit{Actor: actor, Action: "host_key_forget", Target: addr})
	return nil
}
