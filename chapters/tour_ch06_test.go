// Chapter 6's lesson: the handshake steps as the chapter says, and ch06/https answers over TLS.

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

func TestTourCh06(t *testing.T) {
	testutil.CheckLeaks(t)
	var out bytes.Buffer
	start := time.Now()
	f, err := runCh06(testTourEnv(&out))
	text := out.String()
	if err != nil {
		t.Fatalf("chapter 6's lesson failed: %v\nnarration so far:\n%s", err, text)
	}
	t.Logf("narration (%v):\n%s", time.Since(start).Round(time.Millisecond), text)

	// (a) The handshake: no helper at accept, one parked between the flights, none after; the
	// server's greeting waited for the handshake; the data ran on the loop.
	h := f.Handshake
	if h.HelpersAtAccept != 0 || h.CompleteAtAccept || h.HelpersMidway != 1 || h.HelpersAfter != 0 {
		t.Errorf("helpers %d at accept (complete %v), %d midway, %d after; want 0 (false), 1, 0",
			h.HelpersAtAccept, h.CompleteAtAccept, h.HelpersMidway, h.HelpersAfter)
	}
	if len(h.Flights) < 4 || h.Flights[0].From != "client" || h.Flights[1].From != "server" || h.Flights[2].From != "client" {
		t.Fatalf("flights %+v: want client, server, client, server", h.Flights)
	}
	if got := h.Flights[0].Records; len(got) != 1 || got[0] != "handshake (ClientHello)" {
		t.Errorf("the first flight is %v, want one ClientHello record", got)
	}
	if got := h.Flights[1].Records; len(got) < 2 || got[0] != "handshake (ServerHello)" {
		t.Errorf("the server's flight is %v, want a ServerHello first", got)
	}
	for _, fl := range h.Flights[2:] {
		for _, r := range fl.Records {
			if strings.HasPrefix(r, "handshake") {
				t.Errorf("a plaintext handshake record after the hellos: %+v", fl)
			}
		}
	}
	if h.Greeting != ch06Plan.Greeting || h.Line != ch06Plan.Line || h.Echo != ch06Plan.Line || !h.LineOnLoop {
		t.Errorf("greeting %q, line %q, echo %q, on the loop %v", h.Greeting, h.Line, h.Echo, h.LineOnLoop)
	}
	if h.Version != "TLS 1.3" {
		t.Errorf("version %q, want TLS 1.3", h.Version)
	}
	mustSay(t, text, fmt.Sprintf("flight 1, client -> server, %d bytes: handshake (ClientHello)", h.Flights[0].Bytes))
	mustSay(t, text, "while the client read it, the server had 1 helper goroutine, parked until the loop feeds it")
	mustSay(t, text, fmt.Sprintf("the client read %q; the helper's goroutine had ended", ch06Plan.Greeting))

	// (b) HTTPS: one connection for every request, Hello, world each time, and curl's answer
	// where curl is installed.
	s := f.HTTPS
	if s.Pid == 0 || s.Version != "TLS 1.3" || s.Kept.Hello != ch06Plan.Requests || s.Kept.Reused != ch06Plan.Requests || s.Kept.Conns != 0 {
		t.Errorf("https: pid %d, %s, %d of %d answers Hello, world, %d reused, %d new connections after the first",
			s.Pid, s.Version, s.Kept.Hello, ch06Plan.Requests, s.Kept.Reused, s.Kept.Conns)
	}
	if _, err := exec.LookPath("curl"); err == nil && s.CurlBody != helloBody {
		t.Errorf("curl got %q, want %q", s.CurlBody, helloBody)
	}
	mustSay(t, text, fmt.Sprintf("then %d more GET / on the same connection", ch06Plan.Requests))
}
