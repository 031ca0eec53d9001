// The options are checked when the server is made, before any socket opens: 3.2's messages for
// a missing certfile or keyfile, and the checks 3.2 did not make (a key that is not the
// certificate's, a protocol below TLS 1.2, a cipher Go does not know).

package ssl

import (
	"crypto/tls"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"tornadotcp/internal/selfsigned"
	"tornadotcp/internal/testutil"
)

func TestOptionsChecked(t *testing.T) {
	testutil.CheckLeaks(t)
	good, _ := pair(t)
	other, _ := pair(t)
	missing := filepath.Join(t.TempDir(), "nope.pem")
	for _, tc := range []struct {
		name string
		o    Options
		is   error
		msg  string
	}{
		{"no certfile", Options{KeyFile: good.KeyFile}, ErrMissingCertFile, `missing key "certfile" in ssl_options`},
		{"certfile missing", Options{CertFile: missing}, ErrNoSuchFile, `certfile "` + missing + `" does not exist`},
		{"keyfile missing", Options{CertFile: good.CertFile, KeyFile: missing}, ErrNoSuchFile, `keyfile "` + missing + `" does not exist`},
		{"key of another certificate", Options{CertFile: good.CertFile, KeyFile: other.KeyFile}, ErrKeyPair, "private key does not match"},
		{"certificate as key", Options{CertFile: good.CertFile, KeyFile: good.CertFile}, ErrKeyPair, ""},
		{"TLS 1.1", Options{CertFile: good.CertFile, KeyFile: good.KeyFile, SSLVersion: tls.VersionTLS11}, ErrVersion, ""},
		{"OpenSSL cipher string", Options{CertFile: good.CertFile, KeyFile: good.KeyFile, Ciphers: "ECDHE-RSA-AES128-GCM-SHA256"}, ErrCiphers, "no Go parser"},
		{"insecure suite", Options{CertFile: good.CertFile, KeyFile: good.KeyFile, Ciphers: "TLS_RSA_WITH_RC4_128_SHA"}, ErrCiphers, ""},
		{"cert_reqs without ca_certs", Options{CertFile: good.CertFile, KeyFile: good.KeyFile, CertReqs: CertRequired}, ErrCACerts, "must be specified"},
		{"Config without a certificate", Options{Config: &tls.Config{}}, ErrMissingCertFile, ""},
		{"Config allowing TLS 1.0", Options{Config: &tls.Config{Certificates: []tls.Certificate{{}}, MinVersion: tls.VersionTLS10}}, ErrVersion, ""},
	} {
		srv, err := NewEchoServer(tc.o)
		if !errors.Is(err, tc.is) || !strings.Contains(fmtErr(err), tc.msg) || srv != nil {
			t.Errorf("%s: %v, want %v containing %q", tc.name, err, tc.is, tc.msg)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// What the options turn into: Tornado's keys mapped onto tls.Config, secure defaults.
func TestOptionsMapping(t *testing.T) {
	o, _ := pair(t)
	cfg, err := o.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.MaxVersion != 0 || cfg.CipherSuites != nil ||
		cfg.ClientAuth != tls.NoClientCert {
		t.Errorf("defaults: min %#x max %#x suites %v auth %v", cfg.MinVersion, cfg.MaxVersion, cfg.CipherSuites, cfg.ClientAuth)
	}
	o.SSLVersion = tls.VersionTLS13
	o.Ciphers = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
	o.CertReqs, o.CACerts = CertOptional, o.CertFile
	if cfg, err = o.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS13 || cfg.MaxVersion != tls.VersionTLS13 || len(cfg.CipherSuites) != 2 ||
		cfg.ClientAuth != tls.VerifyClientCertIfGiven || cfg.ClientCAs == nil {
		t.Errorf("mapped: %+v", cfg)
	}
	// A key and certificate in one file, with no keyfile, as 3.2 allows.
	dir := t.TempDir()
	certPEM, keyPEM, err := selfsigned.PEM()
	if err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(dir, "both.pem")
	if err := writeFile(both, append(certPEM, keyPEM...)); err != nil {
		t.Fatal(err)
	}
	if _, err := (Options{CertFile: both}).TLSConfig(); err != nil {
		t.Errorf("certificate and key in one file: %v", err)
	}
}
