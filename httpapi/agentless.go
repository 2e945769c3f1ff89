package httpapi

import (
	"errors"
	"maps"
	"net/http"
	"slices"

	"github.com/homelabcmd/homelabcmd"
	"github.com/homelabcmd/homelabcmd/agentless"
)

// Machines without an agent (issue 20): the original's scan, credential,
// discovery, Tailscale and command routes. Reads are for viewers (those
// that use a stored credential for operators), everything that stores a
// secret, logs in somewhere or runs something for admins.
func (s *Server) agentlessRoutes() {
	s.route("GET /api/v1/settings/ssh", viewer, s.handleGetSSHSettings)
	s.route("PUT /api/v1/settings/ssh", admin, s.handlePutSSHSettings)
	s.route("GET /api/v1/settings/ssh/keys", viewer, s.handleListSSHKeys)
	s.route("POST /api/v1/settings/ssh/keys", admin, s.handleCreateSSHKey)
	s.route("DELETE /api/v1/settings/ssh/keys/{kid}", admin, s.handleDeleteSSHKey)
	s.route("GET /api/v1/settings/ssh/host-keys", viewer, s.handleListHostKeys)
	s.route("DELETE /api/v1/settings/ssh/host-keys/{addr}", admin, s.handleForgetHostKey)
	s.route("GET /api/v1/settings/ssh/audit", admin, s.handleSSHAudit)

	s.route("POST /api/v1/scan/test", admin, s.handleScanTest)
	s.route("POST /api/v1/scans", admin, s.handleStartScan)
	s.route("GET /api/v1/scans", viewer, s.handleListScans)
	s.route("GET /api/v1/scans/{scid}", viewer, s.handleGetScan)
	s.route("DELETE /api/v1/scans/{scid}", admin, s.handleDeleteScan)
	s.route("POST /api/v1/scans/{scid}/import", admin, s.handleImportScan)

	s.route("GET /api/v1/servers/{id}/credentials", admin, s.handleListCredentials)
	s.route("POST /api/v1/servers/{id}/credentials", admin, s.handleSetCredential)
	s.route("DELETE /api/v1/servers/{id}/credentials/{type}", admin, s.handleDeleteCredential)
	s.route("GET /api/v1/servers/{id}/ssh", viewer, s.handleGetSSHTarget)
	s.route("PUT /api/v1/servers/{id}/ssh", admin, s.handlePutSSHTarget)
	s.route("POST /api/v1/servers/{id}/test-ssh", admin, s.handleTestSSH)
	s.route("POST /api/v1/servers/{id}/commands/execute", admin, s.handleExecute)
	s.route("GET /api/v1/commands/templates", viewer, s.handleCommandTemplates)

	s.route("POST /api/v1/discovery", admin, s.handleStartDiscovery)
	s.route("GET /api/v1/discovery/devices", operator, s.handleDiscoveryDevices)
	s.route("POST /api/v1/discovery/import", admin, s.handleImportDevice)
	s.route("GET /api/v1/discovery/{did}", viewer, s.handleGetDiscovery)
	s.route("GET /api/v1/settings/discovery", viewer, s.handleGetDiscoverySettings)
	s.route("PUT /api/v1/settings/discovery", admin, s.handlePutDiscoverySettings)

	s.route("GET /api/v1/settings/tailscale/status", viewer, s.handleTailscaleStatus)
	s.route("POST /api/v1/settings/tailscale/token", admin, s.handleSetTailscaleToken)
	s.route("DELETE /api/v1/settings/tailscale/token", admin, s.handleDeleteTailscaleToken)
	s.route("POST /api/v1/settings/tailscale/test", admin, s.handleTailscaleTest)
	s.route("GET /api/v1/tailscale/devices", operator, s.handleTailscaleDevices)
	s.route("POST /api/v1/tailscale/import", admin, s.handleTailscaleImport)
	s.agentlessPackRoutes()
	s.agentlessParityRoutes()
	s.configApplyRoutes()
	s.scheduleConnectivityRoutes()
}

func (s *Server) handleGetSSHSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Agentless.SSHSettings(r.Context())
	s.reply(w, r, http.StatusOK, st, err)
}

func (s *Server) handlePutSSHSettings(w http.ResponseWriter, r *http.Request) {
	var body struct {
		agentless.SSHSettingsPatch
		DefaultPassword *string `json:"default_password"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.DefaultPassword != nil {
		var err error
		if *body.DefaultPassword == "" {
			err = s.Agentless.DeleteCredential(r.Context(), actor(r), "", homelabcmd.CredSSHPassword)
			if homelabcmd.IsNotFound(err) {
				err = nil
			}
		} else {
			_, err = s.Agentless.SetCredential(r.Context(), actor(r), "", homelabcmd.CredSSHPassword, *body.DefaultPassword)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	st, err := s.Agentless.UpdateSSHSettings(r.Context(), body.SSHSettingsPatch)
	s.reply(w, r, http.StatusOK, st, err)
}

func (s *Server) handleListSSHKeys(w http.ResponseWriter, r *http.Request) {
	keys := []*agentless.SSHKey{}
	k, err := s.Agentless.DefaultKey(r.Context())
	if err == nil {
		keys = append(keys, k)
	} else if !homelabcmd.IsNotFound(err) {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys, "total": len(keys)})
}

// handleCreateSSHKey imports the default private key, or generates one
// (no private_key given) and shows its public half for authorized_keys.
func (s *Server) handleCreateSSHKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PrivateKey string `json:"private_key"`
		Comment    string `json:"comment"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.PrivateKey == "" {
		if body.Comment == "" {
			body.Comment = "homelabcmd"
		}
		if len(body.Comment) > 100 {
			s.writeError(w, r, homelabcmd.FieldError("comment", "comment must be at most 100 characters"))
			return
		}
		priv, _, err := agentless.GenerateKey(body.Comment)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		body.PrivateKey = priv
	}
	if _, err := s.Agentless.SetCredential(r.Context(), actor(r), "", homelabcmd.CredSSHPrivateKey, body.PrivateKey); err != nil {
		if homelabcmd.IsInvalid(err) {
			err = homelabcmd.FieldError("private_key", "private_key must be an unencrypted SSH private key (PEM or OpenSSH format)")
		}
		s.writeError(w, r, err)
		return
	}
	k, err := s.Agentless.DefaultKey(r.Context())
	s.reply(w, r, http.StatusCreated, k, err)
}

func (s *Server) handleDeleteSSHKey(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("kid") != "default" {
		s.writeError(w, r, homelabcmd.Errorf(homelabcmd.ENOTFOUND, "SSH key '%s' not found", r.PathValue("kid")))
		return
	}
	s.noContent(w, r, s.Agentless.DeleteCredential(r.Context(), actor(r), "", homelabcmd.CredSSHPrivateKey))
}

func (s *Server) handleListHostKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.Agentless.HostKeys(r.Context())
	s.reply(w, r, http.StatusOK, map[string]any{"host_keys": keys, "total": len(keys)}, err)
}

func (s *Server) handleForgetHostKey(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.Agentless.ForgetHostKey(r.Context(), actor(r), r.PathValue("addr")))
}

func (s *Server) handleSSHAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r.URL.Query().Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Agentless.Audit(r.Context(), limit)
	s.reply(w, r, http.StatusOK, map[string]any{"entries": list, "total": len(list)}, err)
}

func (s *Server) handleScanTest(w http.ResponseWriter, r *http.Request) {
	var body agentless.ScanRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Agentless.TestHost(r.Context(), actor(r), body.Hostname, body.Port, body.Username)
	s.reply(w, r, http.StatusOK, res, err)
}

func (s *Server) handleStartScan(w http.ResponseWriter, r *http.Request) {
	var body agentless.ScanRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	scan, err := s.Agentless.StartScan(r.Context(), actor(r), body)
	s.reply(w, r, http.StatusAccepted, scan, err)
}

func (s *Server) handleListScans(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(q.Get("limit"), "limit", 50, 1, 500)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	offset, err := queryInt(q.Get("offset"), "offset", 0, 0, 1<<30)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.Agentless.Scans(r.Context(), limit, offset)
	s.reply(w, r, http.StatusOK, map[string]any{"scans": list, "total": total, "limit": limit, "offset": offset}, err)
}

func (s *Server) handleGetScan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "scid", "scan")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	scan, err := s.Agentless.FindScan(r.Context(), id)
	s.reply(w, r, http.StatusOK, scan, err)
}

func (s *Server) handleDeleteScan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "scid", "scan")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.noContent(w, r, s.Agentless.DeleteScan(r.Context(), id))
}

func (s *Server) handleImportScan(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "scid", "scan")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body agentless.ImportRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	srv, err := s.Agentless.ImportScan(r.Context(), actor(r), id, body)
	s.reply(w, r, http.StatusCreated, srv, err)
}

func (s *Server) handleListCredentials(w http.ResponseWriter, r *http.Request) {
	list, err := s.Agentless.Credentials(r.Context(), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, map[string]any{"server_id": r.PathValue("id"), "credentials": list}, err)
}

// handleSetCredential stores a secret; the answer says it is stored, never
// what it is.
func (s *Server) handleSetCredential(w http.ResponseWriter, r *http.Request) {
	var body struct {
		CredentialType string `json:"credential_type"`
		Value          string `json:"value"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Agentless.SetCredential(r.Context(), actor(r), r.PathValue("id"), body.CredentialType, body.Value)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential_type": c.CredentialType, "server_id": c.ServerID, "configured": true, "updated_at": c.UpdatedAt})
}

func (s *Server) handleDeleteCredential(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.FindServer(r.Context(), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.noContent(w, r, s.Agentless.DeleteCredential(r.Context(), actor(r), r.PathValue("id"), r.PathValue("type")))
}

func (s *Server) handleGetSSHTarget(w http.ResponseWriter, r *http.Request) {
	t, err := s.Agentless.ServerTarget(r.Context(), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, homelabcmd.SSHTarget{ServerID: r.PathValue("id"), Host: t.Host, Port: t.Port, Username: t.User,
		JumpServerID: s.Agentless.JumpServer(r.Context(), r.PathValue("id"))}, err)
}

func (s *Server) handlePutSSHTarget(w http.ResponseWriter, r *http.Request) {
	var body homelabcmd.SSHTarget
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	body.ServerID = r.PathValue("id")
	t, err := s.Agentless.SetServerTarget(r.Context(), actor(r), body)
	s.reply(w, r, http.StatusOK, t, err)
}

func (s *Server) handleTestSSH(w http.ResponseWriter, r *http.Request) {
	res, err := s.Agentless.TestServer(r.Context(), actor(r), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, res, err)
}

// handleExecute runs a whitelisted command. As in the contract, its
// errors carry a string detail: 400 not whitelisted, 408 timeout, 429 rate
// limit, 500 SSH failure.
func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Command    string `json:"command"`
		ActionType string `json:"action_type"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Command == "" {
		s.writeError(w, r, homelabcmd.FieldError("command", "command is required"))
		return
	}
	res, err := s.Agentless.Execute(r.Context(), actor(r), r.PathValue("id"), body.Command, body.ActionType)
	detail := func(status int, msg string) { writeJSON(w, status, map[string]any{"detail": msg}) }
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, res)
	case errors.Is(err, agentless.ErrNotWhitelisted):
		detail(http.StatusBadRequest, err.Error())
	case errors.Is(err, agentless.ErrCommandTimeout):
		detail(http.StatusRequestTimeout, err.Error())
	case errors.Is(err, agentless.ErrRateLimited):
		w.Header().Set("Retry-After", "60")
		detail(http.StatusTooManyRequests, err.Error())
	case homelabcmd.ErrorCode(err) == homelabcmd.EBADREQUEST:
		detail(http.StatusInternalServerError, homelabcmd.ErrorMessage(err))
	default:
		s.writeError(w, r, err)
	}
}

func (s *Server) handleCommandTemplates(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"templates": agentless.CommandTemplates()})
}

func (s *Server) handleStartDiscovery(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Subnet  string `json:"subnet"`
		Confirm bool   `json:"confirm"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Agentless.StartDiscovery(r.Context(), actor(r), body.Subnet, body.Confirm)
	s.reply(w, r, http.StatusAccepted, d, err)
}

func (s *Server) handleGetDiscovery(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "did", "discovery")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Agentless.FindDiscovery(r.Context(), id)
	s.reply(w, r, http.StatusOK, d, err)
}

func (s *Server) handleDiscoveryDevices(w http.ResponseWriter, r *http.Request) {
	devices, tsErr, err := s.Agentless.Devices(r.Context(), actor(r))
	var tsError *string
	if tsErr != "" {
		tsError = &tsErr
	}
	s.reply(w, r, http.StatusOK, map[string]any{"devices": devices, "total": len(devices), "tailscale_error": tsError}, err)
}

func (s *Server) handleImportDevice(w http.ResponseWriter, r *http.Request) {
	var body agentless.ImportRequest
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	srv, err := s.Agentless.ImportDevice(r.Context(), actor(r), body)
	s.reply(w, r, http.StatusCreated, srv, err)
}

func (s *Server) handleGetDiscoverySettings(w http.ResponseWriter, r *http.Request) {
	d, err := s.Agentless.DiscoverySettings(r.Context())
	s.reply(w, r, http.StatusOK, d, err)
}

func (s *Server) handlePutDiscoverySettings(w http.ResponseWriter, r *http.Request) {
	var body agentless.DiscoverySettings
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Agentless.UpdateDiscoverySettings(r.Context(), body)
	s.reply(w, r, http.StatusOK, d, err)
}

func (s *Server) handleTailscaleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.Agentless.Tailscale(r.Context())
	s.reply(w, r, http.StatusOK, st, err)
}

func (s *Server) handleSetTailscaleToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token   string `json:"token"`
		Tailnet string `json:"tailnet"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Agentless.SetTailscaleToken(r.Context(), actor(r), body.Token, body.Tailnet)
	s.reply(w, r, http.StatusOK, st, err)
}

func (s *Server) handleDeleteTailscaleToken(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.Agentless.DeleteTailscaleToken(r.Context(), actor(r)))
}

func (s *Server) handleTailscaleTest(w http.ResponseWriter, r *http.Request) {
	devices, err := s.Agentless.TailscaleDevices(r.Context(), actor(r))
	if homelabcmd.ErrorCode(err) == homelabcmd.EBADREQUEST {
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "message": homelabcmd.ErrorMessage(err)})
		return
	}
	s.reply(w, r, http.StatusOK, map[string]any{"success": true, "device_count": len(devices)}, err)
}

func (s *Server) handleTailscaleDevices(w http.ResponseWriter, r *http.Request) {
	devices, err := s.Agentless.TailscaleDevices(r.Context(), actor(r))
	s.reply(w, r, http.StatusOK, map[string]any{"devices": devices, "count": len(devices)}, err)
}

func (s *Server) handleTailscaleImport(w http.ResponseWriter, r *http.Request) {
	var body struct {
		DeviceID string `json:"device_id"`
		agentless.ImportRequest
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.DeviceID == "" {
		s.writeError(w, r, homelabcmd.FieldError("device_id", "device_id is required"))
		return
	}
	srv, err := s.Agentless.ImportTailscaleDevice(r.Context(), actor(r), body.DeviceID, body.ImportRequest)
	s.reply(w, r, http.StatusCreated, srv, err)
}

// reply writes v with status, or err.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// noContent writes 204, or err.
func (s *Server) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) agentlessPackRoutes() {
	s.route("GET /api/v1/config/packs", viewer, s.handleListPacks)
	s.route("GET /api/v1/config/packs/{pack}", viewer, s.handleGetPack)
	s.route("GET /api/v1/config/compliance", viewer, s.handleCompliance)
	s.route("GET /api/v1/servers/{id}/config/packs", viewer, s.handleGetServerPacks)
	s.route("PUT /api/v1/servers/{id}/config/packs", admin, s.handlePutServerPacks)
	s.route("POST /api/v1/servers/{id}/config/check", admin, s.handleConfigCheck)
	s.route("GET /api/v1/servers/{id}/config/checks", viewer, s.handleConfigChecks)
	s.route("GET /api/v1/servers/{id}/config/diff", viewer, s.handleConfigDiff)
}

func (s *Server) handleListPacks(w http.ResponseWriter, r *http.Request) {
	packs := []*agentless.Pack{}
	for _, name := range slices.Sorted(maps.Keys(agentless.Packs())) {
		packs = append(packs, agentless.Packs()[name])
	}
	writeJSON(w, http.StatusOK, map[string]any{"packs": packs, "total": len(packs)})
}

func (s *Server) handleGetPack(w http.ResponseWriter, r *http.Request) {
	p := agentless.Packs()[r.PathValue("pack")]
	if p == nil {
		s.writeError(w, r, &homelabcmd.Error{Code: homelabcmd.ENOTFOUND, Message: "Pack '" + r.PathValue("pack") + "' not found", Data: map[string]any{"code": "UNKNOWN_PACK"}})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleCompliance(w http.ResponseWriter, r *http.Request) {
	rows, err := s.Agentless.Compliance(r.Context())
	s.reply(w, r, http.StatusOK, map[string]any{"servers": rows, "total": len(rows)}, err)
}

func (s *Server) handleGetServerPacks(w http.ResponseWriter, r *http.Request) {
	packs, err := s.Agentless.ServerPacks(r.Context(), r.PathValue("id"))
	s.writePacks(w, r, packs, err)
}

func (s *Server) writePacks(w http.ResponseWriter, r *http.Request, packs []string, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	drift, err := s.Agentless.DriftEnabled(r.Context(), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, map[string]any{"server_id": r.PathValue("id"), "assigned_packs": packs, "drift_detection_enabled": drift}, err)
}

func (s *Server) handlePutServerPacks(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Packs []string `json:"packs"`
		Drift *bool    `json:"drift_detection_enabled"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	packs, err := s.Agentless.SetServerPacks(r.Context(), actor(r), r.PathValue("id"), body.Packs, body.Drift)
	s.writePacks(w, r, packs, err)
}

func (s *Server) handleConfigCheck(w http.ResponseWriter, r *http.Request) {
	c, err := s.Agentless.CheckServer(r.Context(), actor(r), r.PathValue("id"))
	s.reply(w, r, http.StatusOK, c, err)
}

// handleConfigChecks lists a server's kept checks, newest first.
func (s *Server) handleConfigChecks(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r.URL.Query().Get("limit"), "limit", 20, 1, 100)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	checks, err := s.Agentless.Checks(r.Context(), r.PathValue("id"), limit)
	s.reply(w, r, http.StatusOK, map[string]any{"checks": checks, "total": len(checks)}, err)
}

// handleConfigDiff is the newest check's mismatching items.
func (s *Server) handleConfigDiff(w http.ResponseWriter, r *http.Request) {
	c, err := s.Agentless.LastCheck(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	diff := []agentless.PackItem{}
	for _, it := range c.Items {
		if !it.Compliant {
			diff = append(diff, it)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"server_id": c.ServerID, "packs": c.Packs, "checked_at": c.CheckedAt, "mismatches": diff, "total": len(diff)})
}

func (s *Server) agentlessParityRoutes() {
	s.route("POST /api/v1/discovery/services", admin, s.handleDiscoverServices)
	s.route("GET /api/v1/tailscale/import/check", viewer, s.handleImportCheck)
	s.route("POST /api/v1/tailscale/devices/{tsid}/test-ssh", admin, s.handleTailscaleTestSSH)
}

func (s *Server) handleDiscoverServices(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ServerID string `json:"server_id"`
		agentless.ScanRequest
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Agentless.DiscoverServices(r.Context(), actor(r), body.ServerID, body.Hostname, body.Port, body.Username)
	s.reply(w, r, http.StatusOK, map[string]any{"services": list, "total": len(list)}, err)
}

func (s *Server) handleImportCheck(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("hostname")
	if host == "" {
		s.writeError(w, r, homelabcmd.FieldError("query.hostname", "hostname is required"))
		return
	}
	id, err := s.Agentless.ImportCheck(r.Context(), host)
	s.reply(w, r, http.StatusOK, map[string]any{"hostname": host, "imported": id != nil, "server_id": id}, err)
}

func (s *Server) handleTailscaleTestSSH(w http.ResponseWriter, r *http.Request) {
	res, err := s.Agentless.TestTailscaleDevice(r.Context(), actor(r), r.PathValue("tsid"))
	s.reply(w, r, http.StatusOK, res, err)
}
