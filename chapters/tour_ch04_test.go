// Chapter 4's lesson fails, rather than narrating, when the server in front of it does not keep
// connections alive.

package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"tornadotcp/internal/testutil"
)

// Go's own server with keep-alives switched off answers every request with Connection: close,
// so the kept run needs a connection per request and the lesson refuses to narrate it.
func TestTourKeepAliveNeedsAKeepingServer(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(helloBody))
	}))
	srv.Config.SetKeepAlivesEnabled(false)
	srv.Start()
	defer srv.Close()
	var out bytes.Buffer
	f, err := keepAliveAt(testTourEnv(&out), "net/http without keep-alive", 0, srv.Listener.Addr().String(), 5)
	if !errors.Is(err, errNoKeepAlive) {
		t.Errorf("against a server that closes every connection: error %v, want %v", err, errNoKeepAlive)
	}
	if f.Kept.Conns != 5 || f.Kept.Hello != 5 {
		t.Errorf("the kept run took %d connections for %d good answers, want 5 for 5", f.Kept.Conns, f.Kept.Hello)
	}
	if out.Len() != 0 {
		t.Errorf("narrated keep-alive that did not happen:\n%s", out.String())
	}
}
