// The ch06 entries: TLS echo and https through the Server interface, a self-signed pair made
// and removed when no certificate is given, the given pair checked before anything opens, and
// -cert refused by a server that does not speak TLS.

package catalog

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/selfsigned"
	"tornadotcp/internal/testutil"
)

// serveEntry runs e with o until the test ends.
func serveEntry(t *testing.T, id string, o Options) Server {
	e, err := Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.ListenOptions("127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

var insecure = &tls.Config{InsecureSkipVerify: true}

func TestTLSEchoEntry(t *testing.T) {
	testutil.CheckLeaks(t)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "tornadotcp-cert-*"))
	t.Run("serve", func(t *testing.T) {
		s := serveEntry(t, "ch06/tls-echo", Options{})
		c, err := tls.Dial("tcp", s.Addr(), insecure)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		c.Write([]byte("over tls\n"))
		if got, err := bufio.NewReader(c).ReadString('\n'); got != "over tls\n" || err != nil {
			t.Errorf("echo %q, %v", got, err)
		}
	})
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "tornadotcp-cert-*"))
	if len(after) > len(before) {
		t.Errorf("the self-signed pair was not removed: %v", after)
	}
}

func TestHTTPSEntry(t *testing.T) {
	testutil.CheckLeaks(t)
	cert, key, err := selfsigned.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := serveEntry(t, "ch06/https", Options{CertFile: cert, KeyFile: key})
	tr := &http.Transport{TLSClientConfig: insecure}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Get("https://" + s.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Errorf("GET /: %d %q", resp.StatusCode, body)
	}
}

func TestTLSOptionsRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	cert, _, err := selfsigned.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := selfsigned.Write(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := Lookup("ch06/https")
	if _, err := e.ListenOptions("127.0.0.1:0", Options{CertFile: cert, KeyFile: otherKey}); !errors.Is(err, ssl.ErrKeyPair) {
		t.Errorf("a key of another certificate: %v, want ssl.ErrKeyPair", err)
	}
	if _, err := e.ListenOptions("127.0.0.1:0", Options{KeyFile: otherKey}); !errors.Is(err, ssl.ErrMissingCertFile) {
		t.Errorf("a key without a certificate: %v, want ssl.ErrMissingCertFile", err)
	}
	plain, _ := Lookup("ch04/echo")
	if _, err := plain.ListenOptions("127.0.0.1:0", Options{CertFile: cert}); !errors.Is(err, ErrOption) {
		t.Errorf("-cert on ch04/echo: %v, want ErrOption", err)
	}
}
