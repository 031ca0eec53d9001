package catalog

import (
	"crypto/tls"
	"testing"
	"time"

	"tornadotcp/internal/selfsigned"
	"tornadotcp/internal/testutil"
)

// tlsWhoami asks a ch06/tls-echo child which task it is, over TLS.
func tlsWhoami(t *testing.T, addr string) (task string, pid int) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // self-signed demo pair
	if err != nil {
		t.Fatal(err)
	}
	return testutil.WhoamiOn(t, c)
}

// The complete TCPServer (issue 11): ch06/tls-echo with -procs 2 is chapter 5's form 2 over
// TLS. Both children answer over TLS with the certificate given; Stop and Shutdown leave no
// child; with no certificate given the parent's pair is served by every child.
func TestCh06TLSEchoProcs(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := selfsigned.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"given/Stop", Options{Procs: 2, CertFile: cert, KeyFile: key}},
		{"made/Shutdown", Options{Procs: 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			e, _ := Lookup("ch06/tls-echo")
			s, err := e.ListenOptions("127.0.0.1:0", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve() }()
			tasks := map[string]int{}
			for deadline := time.Now().Add(time.Minute); len(tasks) < 2 && time.Now().Before(deadline); {
				task, pid := tlsWhoami(t, s.Addr())
				tasks[task] = pid
			}
			if len(tasks) != 2 || tasks["0"] == 0 || tasks["1"] == 0 {
				t.Errorf("TLS connections for a minute reached tasks %v; want 0 and 1", tasks)
			}
			if c.opts.CertFile == "" {
				err = s.(Graceful).Shutdown(time.Second)
			} else {
				err = s.Stop()
			}
			if err != nil {
				t.Errorf("stopping: %v", err)
			}
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
			for task, pid := range tasks {
				if alive(pid) {
					t.Errorf("task %s (pid %d) outlived the server", task, pid)
				}
			}
		})
	}
}
