package bench

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// Chapter 6's tables divide each TLS server by Go's crypto/tls on net from the same results: CPU
// per message and per handshake, requests per second over HTTPS.
func TestTLSTablesRatios(t *testing.T) {
	results := []Result{
		{Server: TLSBaseline, Scenario: TLSPingPong(100), PingPong: &PingPongResult{Conns: 100, Messages: 1000, PerSecond: 1000, CPUMicrosPerMsg: 5}},
		{Server: "ch06/tls-echo", Scenario: TLSPingPong(100), PingPong: &PingPongResult{Conns: 100, Messages: 1000, PerSecond: 1000, CPUMicrosPerMsg: 5.5}},
		{Server: TLSBaseline, Scenario: Handshakes(8), Handshake: &HandshakeResult{Clients: 8, Count: 100, PerSecond: 100, CPUMicrosPerHandshake: 250}},
		{Server: "ch06/tls-echo", Scenario: Handshakes(8), Handshake: &HandshakeResult{Clients: 8, Count: 100, PerSecond: 100, CPUMicrosPerHandshake: 200}},
		{Server: HTTPSBaseline, Scenario: HTTPS(50), HTTP: &HTTPResult{Client: "bench", Conns: 50, PerSecond: 1000}},
		{Server: "ch06/https", Scenario: HTTPS(50), HTTP: &HTTPResult{Client: "bench", Conns: 50, PerSecond: 1500}},
		// Plain ping-pong stays in its own table, without the TLS ratio.
		{Server: "ch00/net", Scenario: PingPong(100), PingPong: &PingPongResult{Conns: 100, Messages: 1000, PerSecond: 1000, CPUMicrosPerMsg: 9}},
	}
	want := map[string]struct {
		header, row string
	}{
		"pingpong":    {"server CPU µs/message", ""},
		"tlspingpong": {"CPU ÷ ch00/tls", "| ch06/tls-echo |         100 |       1000 |        0 |        0 |                   5.5 |           1.10 |"},
		"handshake":   {"CPU ÷ ch00/tls", "| ch06/tls-echo |       8 |          100 |        0 |        0 |                   200.0 |           0.80 | ok     |"},
		"https":       {"requests/s ÷ ch00/https", "| ch06/https |          50 | bench  |       1500 |                    1.50 |"},
	}
	tables := Tables(results)
	if len(tables) != len(want) {
		t.Fatalf("%d tables, want %d", len(tables), len(want))
	}
	for _, tb := range tables {
		w, ok := want[tb.Name]
		if !ok {
			t.Errorf("unexpected table %s", tb.Name)
			continue
		}
		md := tb.Markdown()
		if !strings.Contains(strings.Join(tb.Header, "|"), w.header) {
			t.Errorf("%s: header %v lacks %q", tb.Name, tb.Header, w.header)
		}
		if w.row != "" && !strings.Contains(md, w.row) {
			t.Errorf("%s: no row starting %q in\n%s", tb.Name, w.row, md)
		}
		if tb.Name == "pingpong" && strings.Contains(md, "ch00/tls") {
			t.Errorf("the plain ping-pong table has TLS rows or columns:\n%s", md)
		}
	}
}

// The TLS scenarios run end to end against chapter 6's servers and their baselines, started as
// `chapters run` starts them (each makes its own self-signed pair): every message, handshake and
// request counted, nothing mismatched, and the ratio columns filled.
func TestTLSEndToEnd(t *testing.T) {
	needChapters(t)
	testutil.CheckLeaks(t)
	plan := Plan{
		{TLSBaseline, []Scenario{TLSPingPong(2), Handshakes(2)}},
		{"ch06/tls-echo", []Scenario{TLSPingPong(2), Handshakes(2)}},
		{HTTPSBaseline, []Scenario{HTTPS(2)}},
		{"ch06/https", []Scenario{HTTPS(2)}},
	}
	timing := Timing{WarmUp: 50 * time.Millisecond, PingPong: 300 * time.Millisecond}
	var progress strings.Builder
	rep, err := Run(plan, Options{Exe: chaptersBinary, Timing: timing, Quick: true, Rounds: 1, Pin: true, Progress: &progress, HTTPClient: HTTPClientBench})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	if len(rep.Summary) != 6 {
		t.Fatalf("%d summary rows, want 6", len(rep.Summary))
	}
	for _, r := range rep.Summary {
		if !r.OK() {
			t.Errorf("%s %s: %s%s", r.Server, r.Scenario.Name(), r.Died, r.Error)
			continue
		}
		switch r.Scenario.Kind {
		case KindTLSPingPong:
			if p := r.PingPong; p == nil || p.Messages == 0 || p.Mismatches != 0 || p.Conns != 2 {
				t.Errorf("%s ping-pong over TLS = %+v", r.Server, p)
			}
		case KindHandshake:
			if h := r.Handshake; h == nil || h.Count == 0 || h.CPUSeconds < 0 || h.P99Micros < h.P50Micros || h.Clients != 2 {
				t.Errorf("%s handshakes = %+v", r.Server, h)
			}
		case KindHTTPS:
			if h := r.HTTP; h == nil || h.Requests == 0 || h.SocketErrors+h.Non2xx+h.Mismatches != 0 {
				t.Errorf("%s HTTPS = %+v", r.Server, h)
			}
		default:
			t.Errorf("unexpected scenario %s", r.Scenario.Name())
		}
	}
	files := ViewFiles(rep)
	for name, col := range map[string]string{"ch06-tlspingpong.md": "CPU ÷ ch00/tls", "ch06-handshake.md": "CPU ÷ ch00/tls", "ch06-https.md": "requests/s ÷ ch00/https"} {
		if body := string(files[name]); !strings.Contains(body, col) || !strings.Contains(body, "| ch06/") {
			t.Errorf("%s:\n%s", name, body)
		}
	}
}

// nginx/https's configuration listens with ssl and the pair made for it, with chapter 6's
// protocols; nginx/http's has no TLS at all. (Checked without nginx; TestNginxHTTPS runs it.)
func TestNginxTLSConfig(t *testing.T) {
	n := &Nginx{dir: t.TempDir()}
	plain, err := n.writeConfig(NginxHTTP, 8080)
	if err != nil {
		t.Fatal(err)
	}
	tlsConf, err := n.writeConfig(NginxHTTPS, 8443)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := os.ReadFile(plain)
	s, _ := os.ReadFile(tlsConf)
	if !strings.Contains(string(p), "listen 127.0.0.1:8080;") || strings.Contains(string(p), "ssl") {
		t.Errorf("nginx/http's configuration:\n%s", p)
	}
	for _, want := range []string{"listen 127.0.0.1:8443 ssl;", "ssl_certificate " + n.cert + ";", "ssl_certificate_key " + n.key + ";", "ssl_protocols TLSv1.2 TLSv1.3;"} {
		if !strings.Contains(string(s), want) {
			t.Errorf("nginx/https's configuration lacks %q:\n%s", want, s)
		}
	}
	if _, err := tls.LoadX509KeyPair(n.cert, n.key); err != nil {
		t.Errorf("the pair nginx/https serves: %v", err)
	}
}

// nginx/https answers GET / over TLS, where nginx is installed.
func TestNginxHTTPS(t *testing.T) {
	testutil.CheckLeaks(t)
	n := nginxForTest(t)
	p := startPeer(t, n, NginxHTTPS)
	tr := &http.Transport{TLSClientConfig: clientTLS()}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range 2 {
		resp, err := client.Get("https://" + p.Addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != helloWorld || resp.TLS == nil {
			t.Errorf("GET / over TLS: %d %q, TLS %v, %v", resp.StatusCode, body, resp.TLS != nil, err)
		}
	}
	stopQuietly(t, p)
}
