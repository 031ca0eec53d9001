// Package selfsigned makes the self-signed certificate the TLS demos use when none is given:
// ECDSA P-256, valid for localhost, 127.0.0.1 and ::1, for a year. Plumbing for `chapters
// gencert`, the catalog's ch06 servers and the tests; a real server gets its certificate from
// a certificate authority.
package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names Write uses in its directory.
const (
	CertName = "cert.pem"
	KeyName  = "key.pem"
)

// PEM returns a new certificate and its private key, PEM-encoded.
func PEM() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"tornadotcp demo"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that a client can trust it as its own root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// Write makes a pair and writes it to dir as cert.pem and key.pem (the key readable by its owner
// only), returning their paths. An empty dir is a new temporary directory.
func Write(dir string) (certFile, keyFile string, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tornadotcp-cert-"); err != nil {
			return "", "", err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	certPEM, keyPEM, err := PEM()
	if err != nil {
		return "", "", fmt.Errorf("selfsigned: %w", err)
	}
	certFile, keyFile = filepath.Join(dir, CertName), filepath.Join(dir, KeyName)
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}
