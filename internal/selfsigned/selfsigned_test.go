package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
)

// The pair loads and matches; the certificate is ECDSA P-256 and valid for localhost, 127.0.0.1
// and ::1; the key is readable by its owner only.
func TestWrite(t *testing.T) {
	cert, key, err := Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := c.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if len(c.IPAddresses) != 2 || !c.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("IP SANs %v", c.IPAddresses)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}
