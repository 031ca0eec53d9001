// The ssl options: Tornado's ssl_options keys mapped onto crypto/tls, checked before any socket
// opens. Mirrors TCPServer.__init__'s check and ssl_options_to_context / ssl_wrap_socket in
// tornado/tcpserver.py and tornado/netutil.py (3.2).

package ssl

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// CertReqs is ssl_options' cert_reqs: whether the server asks for a client certificate.
type CertReqs int

// The values of ssl.CERT_NONE, CERT_OPTIONAL and CERT_REQUIRED.
const (
	CertNone     CertReqs = iota // tls.NoClientCert
	CertOptional                 // tls.VerifyClientCertIfGiven
	CertRequired                 // tls.RequireAndVerifyClientCert
)

// The option errors. Each message names the option as Tornado 3.2's does.
var (
	ErrMissingCertFile = errors.New(`missing key "certfile" in ssl_options`)
	ErrNoSuchFile      = errors.New("does not exist")
	ErrKeyPair         = errors.New("ssl: certfile and keyfile do not make a pair")
	ErrVersion         = errors.New("ssl: protocol version below TLS 1.2 refused")
	ErrCiphers         = errors.New("ssl: ciphers")
	ErrCACerts         = errors.New("ssl: ca_certs")
)

// DefaultHandshakeTimeout closes a handshake that has not finished: Tornado 3.2 has none, and a
// client that connects and sends half a ClientHello holds a connection for ever.
const DefaultHandshakeTimeout = 10 * time.Second

// DefaultMaxHandshakes is how many handshakes a server runs at once; a connection beyond it is
// closed at accept. Each waiting handshake holds a parked goroutine and a tls.Conn.
const DefaultMaxHandshakes = 1024

// Options are Tornado's ssl_options, or a ready *tls.Config (Tornado 4's SSLContext).
//
// CertFile and KeyFile are PEM files; KeyFile may be empty when CertFile holds the key too
// (3.2 allows that). SSLVersion is ssl_version: 0 negotiates TLS 1.2 or 1.3 (PROTOCOL_SSLv23
// with the old versions off), tls.VersionTLS12 or tls.VersionTLS13 pin one; below 1.2 is
// ErrVersion. CertReqs and CACerts are cert_reqs and ca_certs (a PEM bundle of the authorities
// that sign client certificates; required unless CertReqs is CertNone, as Python's ssl module
// requires). Ciphers is ssl_options' ciphers, but Go has no parser for OpenSSL cipher strings:
// it is a list of Go suite names (tls.CipherSuiteName's, IANA's: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
// separated by colons, from tls.CipherSuites() only, and applies to TLS 1.2 (TLS 1.3's suites
// are not configurable in Go). An OpenSSL name ("ECDHE-RSA-AES128-GCM-SHA256") or an insecure
// suite is ErrCiphers. Empty keeps Go's defaults.
//
// Config, when set, is used instead of all the above (cloned; MinVersion 0 becomes TLS 1.2); it
// must carry a certificate (Certificates, GetCertificate or GetConfigForClient).
//
// HandshakeTimeout (DefaultHandshakeTimeout when 0, none when negative) and MaxHandshakes
// (DefaultMaxHandshakes when 0) bound handshakes; Logger gets the "SSL Error" warnings.
type Options struct {
	CertFile   string
	KeyFile    string
	SSLVersion uint16
	CertReqs   CertReqs
	CACerts    string
	Ciphers    string
	Config     *tls.Config

	HandshakeTimeout time.Duration
	MaxHandshakes    int
	Logger           *slog.Logger
}

// TLSConfig checks the options and makes the server's configuration. It does what 3.2's
// TCPServer.__init__ does (a missing certfile key or file, a missing keyfile), then more: it
// loads the pair and checks that the key matches the certificate, so a certificate given as the
// key fails here, not at the first client.
func (o Options) TLSConfig() (*tls.Config, error) {
	if o.Config != nil {
		cfg := o.Config.Clone()
		if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
			return nil, ErrMissingCertFile
		}
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		if cfg.MinVersion < tls.VersionTLS12 {
			return nil, ErrVersion
		}
		return cfg, nil
	}
	if o.CertFile == "" {
		return nil, ErrMissingCertFile
	}
	if _, err := os.Stat(o.CertFile); err != nil {
		return nil, fmt.Errorf("certfile %q %w", o.CertFile, ErrNoSuchFile)
	}
	key := o.KeyFile
	if key == "" {
		key = o.CertFile
	} else if _, err := os.Stat(key); err != nil {
		return nil, fmt.Errorf("keyfile %q %w", key, ErrNoSuchFile)
	}
	pair, err := tls.LoadX509KeyPair(o.CertFile, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyPair, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	switch o.SSLVersion {
	case 0:
	case tls.VersionTLS12, tls.VersionTLS13:
		cfg.MinVersion, cfg.MaxVersion = o.SSLVersion, o.SSLVersion
	default:
		return nil, fmt.Errorf("%w: %#x", ErrVersion, o.SSLVersion)
	}
	if cfg.CipherSuites, err = parseCiphers(o.Ciphers); err != nil {
		return nil, err
	}
	switch o.CertReqs {
	case CertNone:
		return cfg, nil
	case CertOptional:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case CertRequired:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("ssl: cert_reqs %d unknown", o.CertReqs)
	}
	if o.CACerts == "" {
		return nil, fmt.Errorf("%w must be specified when cert_reqs is not CertNone", ErrCACerts)
	}
	pem, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCACerts, err)
	}
	cfg.ClientCAs = x509.NewCertPool()
	if !cfg.ClientCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: no certificate in %q", ErrCACerts, o.CACerts)
	}
	return cfg, nil
}

// parseCiphers reads Ciphers: Go suite names from the secure list, colon-separated.
func parseCiphers(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	known := map[string]uint16{}
	for _, c := range tls.CipherSuites() {
		known[c.Name] = c.ID
	}
	var ids []uint16
	for _, name := range strings.Split(s, ":") {
		id, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("%w: %q is not one of Go's secure suites (tls.CipherSuites); OpenSSL cipher strings have no Go parser", ErrCiphers, name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
