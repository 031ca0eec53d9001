package catalog

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	blocking "tornadotcp/ch01_blocking"
	"tornadotcp/internal/testutil"
)

// The runner of ch04/echo: Addr, Serve until Stop; Stop from another goroutine closes the
// client's connection and every descriptor (the leak check) and makes Serve return nil; Stop
// again is harmless, and Serve again refuses.
func TestRunnerServeStop(t *testing.T) {
	testutil.CheckLeaks(t)
	r, err := listenEcho("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- r.Serve() }()
	c := testutil.Dial(t, r.Addr())
	testutil.Echo(t, c, "through the runner\n")
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after Stop: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Stop")
	}
	if rest, err := c.ReadToEOF(); err != nil || len(rest) != 0 {
		t.Errorf("client after Stop: %q, %v; want EOF", rest, err)
	}
	testutil.ExpectRefused(t, r.Addr())
	if err := r.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := r.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
		t.Errorf("Serve after Stop: %v, want ErrServerClosed", err)
	}
}

// Stop before Serve closes everything at once; Serve then refuses to run.
func TestRunnerStopBeforeServe(t *testing.T) {
	testutil.CheckLeaks(t)
	r, err := listenEcho("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := r.Serve(); !errors.Is(err, blocking.ErrServerClosed) {
		t.Errorf("Serve after Stop: %v, want ErrServerClosed", err)
	}
	testutil.ExpectRefused(t, r.Addr())
}

// A bad address is an error before anything opens, and says what is wrong once.
func TestRunnerBadAddress(t *testing.T) {
	testutil.CheckLeaks(t)
	for addr, want := range map[string]string{
		"127.0.0.1":       "address 127.0.0.1: missing port in address",
		"127.0.0.1:http":  `address "127.0.0.1:http": port must be a number from 0 to 65535`,
		"127.0.0.1:70000": `address "127.0.0.1:70000": port must be a number from 0 to 65535`,
	} {
		r, err := listenEcho(addr, Options{})
		if err == nil {
			r.Stop()
			t.Errorf("listenEcho(%q) succeeded", addr)
			continue
		}
		if err.Error() != want {
			t.Errorf("listenEcho(%q): %q, want %q", addr, err, want)
		}
	}
}

// The runner of ch04/http serves net/http's client and stops with a keep-alive connection open:
// Serve returns nil, every descriptor is closed.
func TestRunnerHTTPServeStop(t *testing.T) {
	testutil.CheckLeaks(t)
	r, err := listenHelloWorld("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- r.Serve() }()
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + r.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Hello, world" {
		t.Errorf("GET /: %s %q", resp.Status, body)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after Stop: %v, want nil", err)
	}
}
