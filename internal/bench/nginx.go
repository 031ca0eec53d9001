// nginx as the HTTP peer: the helloworld as one `return` directive, run from a configuration
// written at run time; over TLS too (nginx/https), with a self-signed pair made for the run.

package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"tornadotcp/internal/selfsigned"
)

// ErrNoNginx is returned when nginx is not installed.
var ErrNoNginx = errors.New("nginx is not installed (apt-get install nginx-light)")

// nginxCandidates are where nginx is looked for: on PATH, then where Debian installs it, which
// is not on an ordinary user's PATH.
var nginxCandidates = []string{"nginx", "/usr/sbin/nginx"}

// Nginx is an nginx binary and the directory its configurations, logs and pid file go to.
type Nginx struct {
	Path    string
	Version string // "nginx/1.22.1"
	dir     string
	// cert and key are the self-signed pair nginx/https serves, made in dir when first needed.
	cert, key string
}

// FindNginx finds nginx and makes its directory; Close removes it.
func FindNginx() (*Nginx, error) {
	var path string
	for _, c := range nginxCandidates {
		if p, err := exec.LookPath(c); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return nil, ErrNoNginx
	}
	out, err := exec.Command(path, "-v").CombinedOutput() // nginx prints its version on stderr
	if err != nil {
		return nil, fmt.Errorf("%s -v: %w: %s", path, err, lastLine(string(out)))
	}
	_, version, _ := strings.Cut(strings.TrimSpace(string(out)), "version: ")
	dir, err := os.MkdirTemp("", "bench-nginx-")
	if err != nil {
		return nil, err
	}
	return &Nginx{Path: path, Version: version, dir: dir}, nil
}

// nginxConfig is the helloworld: ch04/http's answer to GET / (200, "Hello, world", keep-alive),
// in one process. With master_process off the process started is the one that accepts and
// answers, so its /proc counters are the server's, as the bench measures every other server;
// with a master, the work would be in a worker child the bench did not start. The process runs
// the same event cycle a worker runs. keepalive_requests is raised so that nginx, like the
// servers it is compared with, never closes a keep-alive connection by itself.
const nginxConfig = `daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid %[1]s/nginx-%[2]d.pid;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    keepalive_requests 1000000000;
    server {
        listen 127.0.0.1:%[2]d%[3]s;
        default_type text/plain;
        location = / {
            return 200 "Hello, world";
        }
    }
}
`

// nginxTLS is what makes the server HTTPS: the listen directive's "ssl" and the pair, with the
// protocols chapter 6's servers accept. nginx keeps its own default ciphers, which, as Go's,
// prefer ECDHE with AES-GCM or ChaCha20.
const nginxTLS = ` ssl;
        ssl_certificate %[1]s;
        ssl_certificate_key %[2]s;
        ssl_protocols TLSv1.2 TLSv1.3`

// start writes a configuration for a free loopback port and starts nginx on it. nginx cannot
// say which port it was given for port 0, so the bench picks one: it binds port 0, reads the
// port and closes the socket, and nginx binds it a moment later.
func (n *Nginx) start(id string, pin *Pinning) (*Proc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	conf, err := n.writeConfig(id, addr.Port)
	if err != nil {
		return nil, err
	}
	// -e: errors before the configuration is read go to stderr, not to the system's log file.
	argv := []string{n.Path, "-e", "stderr", "-p", n.dir, "-c", conf}
	return StartListening(id, argv, addr.String(), pin)
}

// writeConfig writes server id's configuration for port into n's directory and returns its
// path. nginx/https gets TLS, with a self-signed pair made there the first time.
func (n *Nginx) writeConfig(id string, port int) (string, error) {
	listen := ""
	if id == NginxHTTPS {
		if n.cert == "" {
			var err error
			if n.cert, n.key, err = selfsigned.Write(n.dir); err != nil {
				return "", err
			}
		}
		listen = fmt.Sprintf(nginxTLS, n.cert, n.key)
	}
	conf := filepath.Join(n.dir, fmt.Sprintf("nginx-%d.conf", port))
	return conf, os.WriteFile(conf, fmt.Appendf(nil, nginxConfig, n.dir, port, listen), 0o644)
}

// String says which nginx: "nginx/1.22.1 (/usr/sbin/nginx), one process".
func (n *Nginx) String() string { return fmt.Sprintf("%s (%s), one process", n.Version, n.Path) }

// Close removes the configurations, logs and pid files.
func (n *Nginx) Close() error { return os.RemoveAll(n.dir) }
