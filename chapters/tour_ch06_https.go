// Chapter 6's HTTPS, fetched as curl would: Tornado's helloworld over TLS (ch06/https) as a
// child process with the lesson's certificate, asked by Go's net/http client trusting that
// certificate, and by curl when it is installed.

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"strings"
	"time"
)

// httpsFacts is what the HTTPS part measured.
type httpsFacts struct {
	Pid        int
	Addr       string
	First      time.Duration // connect, handshake and the first request
	Handshake  time.Duration // the handshake alone, as httptrace saw it
	Version    string        // "TLS 1.3"
	Kept       httpRun       // the requests after the first, on the kept connection
	Curl       string        // the command run, "" when curl is not installed
	CurlBody   string
	CurlTiming string // curl's own time_appconnect (the handshake done), in seconds
}

// errNotHTTPS means the helloworld over TLS did not answer as it should.
var errNotHTTPS = errors.New("ch06/https did not answer Hello, world over TLS")

// httpsLikeCurl starts ch06/https with cert and key, and asks it n times over one connection.
func httpsLikeCurl(env *tourEnv, cert, key string, n int) (httpsFacts, error) {
	var f httpsFacts
	c, err := startChild(env, ch06Plan.Within, "run", "ch06/https", "-addr", "127.0.0.1:0", "-cert", cert, "-key", key)
	if err != nil {
		return f, err
	}
	defer c.Stop()
	f.Pid, f.Addr = c.Pid, c.Addr
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return f, err
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		return f, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	// The certificate names localhost; the client dials the address the server bound.
	dialer := &net.Dialer{Timeout: ch06Plan.Within}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, c.Addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ch06Plan.Within}
	url := "https://localhost:" + port + "/"

	var hsStart time.Time
	conns, reused := 0, 0
	trace := &httptrace.ClientTrace{
		TLSHandshakeStart: func() { hsStart = time.Now() },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { f.Handshake = time.Since(hsStart) },
		GotConn: func(i httptrace.GotConnInfo) {
			if i.Reused {
				reused++
			} else {
				conns++
			}
		},
	}
	get := func() (bool, error) {
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if resp.TLS != nil {
			f.Version = tls.VersionName(resp.TLS.Version)
		}
		return err == nil && resp.StatusCode == 200 && string(body) == helloBody, err
	}
	start := time.Now()
	ok, err := get()
	f.First = time.Since(start)
	if err != nil || !ok {
		return f, fmt.Errorf("%w: the first GET: %v", errNotHTTPS, err)
	}
	f.Kept.Requests = n
	start = time.Now()
	for range n {
		ok, err := get()
		if err != nil {
			return f, err
		}
		if ok {
			f.Kept.Hello++
		}
	}
	f.Kept.Elapsed = time.Since(start)
	f.Kept.Conns, f.Kept.Reused = conns-1, reused
	if conns != 1 || reused != n || f.Kept.Hello != n {
		return f, fmt.Errorf("%w: %d connections, %d reused, %d of %d answers Hello, world", errNotHTTPS, conns, reused, f.Kept.Hello, n)
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		args := []string{"--silent", "--show-error", "--cacert", cert, "--resolve", "localhost:" + port + ":127.0.0.1",
			"--write-out", "\n%{time_appconnect}", url}
		out, err := exec.Command(curl, args...).Output()
		if err != nil {
			return f, fmt.Errorf("curl: %w", err)
		}
		f.Curl = "curl --cacert " + cert + " " + url
		f.CurlBody, f.CurlTiming, _ = strings.Cut(string(out), "\n")
		if f.CurlBody != helloBody {
			return f, fmt.Errorf("%w: curl got %q", errNotHTTPS, f.CurlBody)
		}
	}
	narrateHTTPS(env, f)
	return f, nil
}

func narrateHTTPS(env *tourEnv, f httpsFacts) {
	env.say("")
	env.say("  go run ./chapters run ch06/https -cert CERT -key KEY, as a child process (pid %d) on %s:", f.Pid, f.Addr)
	env.say("    Go's net/http client, trusting that one certificate (curl --cacert's equivalent), asked for")
	env.say("    https://localhost:PORT/: %s, handshake %s, the first answer %s after connecting", f.Version, roundDuration(f.Handshake), roundDuration(f.First))
	env.say("    then %d more GET / on the same connection: %.0f requests/s, every answer 200 %q", f.Kept.Requests,
		f.Kept.PerSecond(), helloBody)
	if f.Curl == "" {
		env.say("    (curl is not installed: the Go client above is its equivalent)")
		return
	}
	env.say("    %s  ->  %q (curl's handshake done at %s s)", f.Curl, f.CurlBody, f.CurlTiming)
}
