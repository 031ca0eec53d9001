package catalog

import (
	"io"
	"net/http"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// ch00/http is listed as the HTTP baseline, and the server its entry starts answers the
// helloworld and stops as the contract says.
func TestNetHTTPEntry(t *testing.T) {
	testutil.CheckLeaks(t)
	e, err := Lookup("ch00/http")
	if err != nil {
		t.Fatal(err)
	}
	if e.Protocol != "http" || e.Chapter() != 0 || e.Serialises || e.Summary == "" {
		t.Errorf("entry %+v: want protocol http, chapter 0, a summary", e)
	}
	srv, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	resp, err := client.Get("http://" + srv.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	if err != nil || resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Errorf("GET / = %d %q, %v", resp.StatusCode, body, err)
	}

	if err := srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after Stop = %v, want nil", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
