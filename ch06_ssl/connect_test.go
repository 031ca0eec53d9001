// The client side: Connect with SNI and Go's verification, against a crypto/tls server on Go's
// net package and against this package's own server; verification refused by default for an
// untrusted certificate, and turned off with InsecureSkipVerify.

package ssl

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	"tornadotcp/internal/testutil"
)

// netTLSEcho is a crypto/tls echo server on Go's net package that records the SNI it saw.
func netTLSEcho(t *testing.T, o Options) (string, chan string) {
	cfg, err := o.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	sni := make(chan string, 1)
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		select {
		case sni <- h.ServerName:
		default:
		}
		return nil, nil
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			c.Write(line)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), sni
}

// clientEcho connects with Connect, sends a line and returns what comes back.
func clientEcho(t *testing.T, addr string, cfg *tls.Config) (string, error) {
	loop, err := ioloop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	res, err := loop.RunSync(func(done ioloop.Done) {
		err := Connect(loop, addr, "localhost", cfg, func(s *tcpserver.IOStream, err error) {
			if err != nil {
				done(nil, err)
				return
			}
			s.SetCloseCallback(func() {
				if tr := s.Transport(); tr != nil {
					done(nil, errors.Join(errClosed, tr.(*Transport).HandshakeErr()))
				}
			})
			s.Write([]byte("ping\n"), nil)
			s.ReadUntil([]byte("\n"), func(line []byte) {
				done(string(line), nil)
				s.Close()
			})
		})
		if err != nil {
			done(nil, err)
		}
	}, 30*time.Second)
	if err != nil {
		return "", err
	}
	return res.(string), nil
}

var errClosed = errors.New("closed before the answer")

func TestConnect(t *testing.T) {
	testutil.CheckLeaks(t)
	o, pool := pair(t)
	addr, sni := netTLSEcho(t, o)
	got, err := clientEcho(t, addr, &tls.Config{RootCAs: pool})
	if got != "ping\n" || err != nil {
		t.Fatalf("echo through Connect: %q, %v", got, err)
	}
	if name := <-sni; name != "localhost" {
		t.Errorf("SNI %q, want localhost", name)
	}
	ours, _ := echoServer(t, o)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		got, err := clientEcho(t, ours, &tls.Config{RootCAs: pool, MaxVersion: v})
		if got != "ping\n" || err != nil {
			t.Errorf("%s, our client to our server: %q, %v", tls.VersionName(v), got, err)
		}
	}
}

// By default the certificate is verified: a self-signed one is refused. InsecureSkipVerify is
// the documented way to accept it.
func TestConnectVerifies(t *testing.T) {
	testutil.CheckLeaks(t)
	o, _ := pair(t)
	addr, _ := echoServer(t, o)
	_, err := clientEcho(t, addr, nil)
	var uerr x509.UnknownAuthorityError
	if !errors.Is(err, ErrHandshake) || !errors.As(err, &uerr) {
		t.Errorf("untrusted certificate: %v, want ErrHandshake with an unknown authority", err)
	}
	got, err := clientEcho(t, addr, &tls.Config{InsecureSkipVerify: true})
	if got != "ping\n" || err != nil {
		t.Errorf("with InsecureSkipVerify: %q, %v", got, err)
	}
}
