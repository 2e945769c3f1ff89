package homelabcmd

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Agent capabilities: what an agent declares it can do in the heartbeat's
// capabilities list. The hub hands an approved action only to an agent
// that declares the capability its type needs (ActionTypes).
const (
	CapRestartService = "restart_service"
	CapContainers     = "containers"
	CapUpdates        = "updates"
	CapUpgrade        = "upgrade"
	// CapExpectedServices: the agent watches the expected services the hub
	// returns, so an expected service it does not report is missing (an
	// alert). Without it, such a service is "not monitored by this agent".
	CapExpectedServices = "expected_services"
	// CapCommands: the agent runs the whitelisted commands
	// (CommandTemplates) the hub hands it as run_command actions, so
	// POST /servers/{id}/commands/execute goes through it, not SSH.
	CapCommands = "commands"
)

// MaxCapabilities bounds the capabilities one heartbeat may declare.
const MaxCapabilities = 32

var capabilityPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// legacyV1Capabilities are what the original HomelabCmd v1 agent could run
// from pending_commands (its own whitelist held restart_service); it
// declares nothing and reports agent_version 1.x.
var legacyV1Capabilities = []string{CapRestartService}

// EffectiveCapabilities is what the hub takes an agent to be able to do:
// the list it declares; for an agent declaring none, the original v1
// agent's restart_service when it reports a 1.x version, else nothing (the
// original v2 agent ignores pending_commands). Sorted, without duplicates.
func EffectiveCapabilities(declared *[]string, agentVersion *string) []string {
	var out []string
	switch {
	case declared != nil:
		out = slices.Clone(*declared)
	case agentVersion != nil && strings.HasPrefix(*agentVersion, "1."):
		out = slices.Clone(legacyV1Capabilities)
	default:
		return []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func validateCapabilities(c *[]string) error {
	if c == nil {
		return nil
	}
	if len(*c) > MaxCapabilities {
		return FieldError("capabilities", "an agent may declare at most %d capabilities, not %d", MaxCapabilities, len(*c))
	}
	for i, v := range *c {
		if !capabilityPattern.MatchString(v) {
			return FieldError("capabilities."+strconv.Itoa(i), "a capability is 1-40 characters of a-z, 0-9 and _")
		}
	}
	return nil
}

// ActionType describes one type of action agents carry out: the
// capability an agent must declare to be handed it, whether it names a
// service, whether POST /api/v1/actions may create it, and how long the
// agent may take. Add a type here and validation, delivery and the API
// follow.
type ActionType struct {
	Name       string
	Capability string
	// Unit is the kind of unit it acts on; "" for an action on the agent
	// or the machine itself (upgrade_agent, apply_updates).
	Unit UnitKind
	// Verb is what it does to the unit ("restart", "start", "stop").
	Verb string
	// WantRunning is whether a completed action is verified by the unit
	// reporting running (else by it reporting stopped).
	WantRunning  bool
	NeedsService bool
	// Creatable: POST /api/v1/actions accepts it (the whitelist). Other
	// known types have their own routes (an agent upgrade).
	Creatable bool
	// NeedsApproval: created pending even outside maintenance; a person
	// approves it (installing updates changes the machine).
	NeedsApproval  bool
	TimeoutSeconds int
	// ByHub: the hub carries it out itself (over SSH), never an agent; no
	// capability is needed and no agent is handed it.
	ByHub bool
	// Command is the command shown for an action on service ("" when the
	// type names none); agents never run it through a shell.
	Command func(service string) string
}

// ActionTypes is the one table of action types.
var ActionTypes = []ActionType{
	{Name: ActionRestartService, Capability: CapRestartService, Unit: KindSystemd, Verb: "restart", WantRunning: true,
		NeedsService: true, Creatable: true, TimeoutSeconds: 60, Command: RestartCommand},
	{Name: ActionUpgradeAgent, Capability: CapUpgrade, TimeoutSeconds: 300},
	{Name: ActionApplyUpdates, Capability: CapUpdates, Creatable: true, NeedsApproval: true, TimeoutSeconds: 1800, Command: ApplyUpdatesCommand},
	{Name: ActionRestartContainer, Capability: CapContainers, Unit: KindContainer, Verb: "restart", WantRunning: true,
		NeedsService: true, Creatable: true, TimeoutSeconds: 60, Command: containerCommand("restart")},
	{Name: ActionStartContainer, Capability: CapContainers, Unit: KindContainer, Verb: "start", WantRunning: true,
		NeedsService: true, Creatable: true, TimeoutSeconds: 60, Command: containerCommand("start")},
	{Name: ActionStopContainer, Capability: CapContainers, Unit: KindContainer, Verb: "stop",
		NeedsService: true, Creatable: true, TimeoutSeconds: 60, Command: containerCommand("stop")},
	// Has its own route (POST /servers/{id}/config/apply); the pack name
	// is part of the command (ApplyPackTarget).
	{Name: ActionApplyConfigPack, NeedsApproval: true, ByHub: true, TimeoutSeconds: 300, Command: ApplyPackCommand},
	// A whitelisted command run synchronously through the agent (POST
	// /servers/{id}/commands/execute); the command text is the action's
	// command, matched again by the agent.
	{Name: ActionRunCommand, Capability: CapCommands, TimeoutSeconds: 60},
}

// containerCommand is the command shown for a container action; the agent
// runs it through the Engine API, never a docker CLI or a shell.
func containerCommand(verb string) func(string) string {
	return func(name string) string { return "docker " + verb + " " + name }
}

// LookupActionType returns the row of ActionTypes named name.
func LookupActionType(name string) (ActionType, bool) {
	for _, t := range ActionTypes {
		if t.Name == name {
			return t, true
		}
	}
	return ActionType{}, false
}

// DeliverableTypes are the action types an agent with caps can run.
func DeliverableTypes(caps []string) []string {
	out := []string{}
	for _, t := range ActionTypes {
		if !t.ByHub && slices.Contains(caps, t.Capability) {
			out = append(out, t.Name)
		}
	}
	return out
}

// WaitingReason says why an approved action is not handed to its agent:
// the agent has not reported yet (caps nil), or does not declare the
// capability the action needs. Nil when it would be handed out.
func WaitingReason(actionType string, caps []string) *string {
	t, ok := LookupActionType(actionType)
	var r string
	switch {
	case !ok:
		r = "no agent can run action type '" + actionType + "'"
	case t.ByHub:
		return nil
	case caps == nil:
		r = "waiting for the agent's first heartbeat"
	case !slices.Contains(caps, t.Capability):
		r = "the agent does not declare the '" + t.Capability + "' capability, so it cannot run this action; it stays queued until an agent that can reports, or it times out"
	default:
		return nil
	}
	return &r
}

// originalOnlyTypes are action types the original HomelabCmd ran as shell
// commands over SSH; this hub runs no shell, so they are refused (403).
var originalOnlyTypes = []string{"clear_logs", "apt_update", "apt_upgrade_all", "apt_upgrade_security"}

// CheckCreatable validates a request to create an action of actionType
// (on service) through POST /api/v1/actions, as the original did: EINVALID
// (422) for a missing or unknown type, or a missing service_name;
// EFORBIDDEN (403) for a known type not on the whitelist.
func CheckCreatable(actionType, service string) (ActionType, error) {
	if actionType == "" {
		return ActionType{}, FieldError("action_type", "action_type is required")
	}
	t, ok := LookupActionType(actionType)
	if !ok {
		if slices.Contains(originalOnlyTypes, actionType) {
			return t, Errorf(EFORBIDDEN, "Action type '%s' is not allowed: this hub runs no shell commands on servers", actionType)
		}
		var names []string
		for _, t := range ActionTypes {
			if t.Creatable {
				names = append(names, t.Name)
			}
		}
		return t, FieldError("action_type", "unknown action type '%s' (one of: %s)", actionType, strings.Join(names, ", "))
	}
	if !t.Creatable {
		return t, Errorf(EFORBIDDEN, "Action type '%s' is not allowed here: it has its own route", actionType)
	}
	if t.NeedsService && service == "" {
		return t, FieldError("service_name", "service_name is required for %s actions", actionType)
	}
	if t.NeedsService {
		if err := t.Unit.ValidateName(service); err != nil {
			return t, FieldError("service_name", "%s", ErrorMessage(err))
		}
	}
	return t, nil
}
