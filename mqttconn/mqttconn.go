// Package mqttconn holds what the hub's MQTT clients share (the MQTT
// notification channel and the Home Assistant bridge): broker URLs,
// dialling with TLS, and which MQTT v5 reason codes are worth a retry.
package mqttconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/eclipse/paho.golang/packets"
)

// ErrBadURL is returned for a broker URL that is not mqtt(s)://host[:port].
var ErrBadURL = errors.New("broker URL must be mqtt://host[:1883] or mqtts://host[:8883]")

// ParseURL checks a broker URL and fills in the default port. It accepts
// mqtt:// and tcp:// (plain) and mqtts://, ssl:// and tls:// (TLS), and
// returns it with the scheme normalised to mqtt or mqtts. User info in
// the URL is refused: credentials have their own (secret) settings.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, ErrBadURL
	}
	switch u.Scheme {
	case "mqtt", "tcp":
		u.Scheme = "mqtt"
	case "mqtts", "ssl", "tls":
		u.Scheme = "mqtts"
	default:
		return nil, ErrBadURL
	}
	if u.Port() == "" {
		port := "1883"
		if u.Scheme == "mqtts" {
			port = "8883"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	u.Path = ""
	return u, nil
}

// DialFunc opens a TCP connection (a net.Dialer's DialContext, or one with
// the hub's outbound rules).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dial connects to the broker of a URL from ParseURL, with TLS for mqtts
// (certificates checked against the system roots). The connection is safe
// for concurrent writes, as paho requires. dial nil uses a net.Dialer.
func Dial(ctx context.Context, u *url.URL, dial DialFunc) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "mqtts" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	return packets.NewThreadSafeConn(conn), nil
}

// RetryableReason reports whether a CONNACK or PUBACK failure reason code
// may pass later (the broker is busy, unavailable or over a quota) rather
// than needing a change of configuration (credentials, authorisation,
// topic, QoS or retain not supported).
func RetryableReason(code byte) bool {
	switch code {
	case packets.ConnackUnspecifiedError, packets.ConnackServerUnavailable, packets.ConnackServerBusy,
		packets.ConnackQuotaExceeded, packets.ConnackUseAnotherServer, packets.ConnackConnectionRateExceeded,
		packets.PubackPacketIdentifierInUse:
		return true
	}
	return false
}

// reasons names the CONNACK and PUBACK failure reason codes.
var reasons = map[byte]string{
	0x80: "unspecified error", 0x81: "malformed packet", 0x82: "protocol error", 0x83: "implementation specific error",
	0x84: "unsupported protocol version (the broker must speak MQTT 5)", 0x85: "client identifier not valid",
	0x86: "bad user name or password", 0x87: "not authorized", 0x88: "server unavailable", 0x89: "server busy",
	0x8A: "banned", 0x8C: "bad authentication method", 0x90: "topic name invalid", 0x91: "packet identifier in use",
	0x95: "packet too large", 0x97: "quota exceeded", 0x99: "payload format invalid", 0x9A: "retain not supported",
	0x9B: "QoS not supported", 0x9C: "use another server", 0x9D: "server moved", 0x9F: "connection rate exceeded",
}

// ReasonText names a failure reason code, e.g. "not authorized (0x87)".
func ReasonText(code byte) string {
	name, ok := reasons[code]
	if !ok {
		name = "reason"
	}
	return name + " (0x" + strings.ToUpper(strconv.FormatUint(uint64(code), 16)) + ")"
}
