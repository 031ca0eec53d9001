package catalog

import (
	"crypto/tls"
	"fmt"
	"sync"

	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/netecho"
	"tornadotcp/internal/nethttp"
)

// Chapter 6's baselines: the echo and the helloworld on Go's crypto/tls over net, a goroutine
// per connection, with the configuration chapter 6's servers get from the same options (TLS 1.2
// at least, Go's cipher suites), so that the benchmark compares the servers, not their settings.
func init() {
	register(
		withOptions(Entry{
			ID:       "ch00/tls",
			Summary:  "reference: the echo on Go's crypto/tls over net, a goroutine per connection (chapter 6's baseline; -cert, -key)",
			Protocol: "tls-echo",
		}, func(hostport string, o Options) (Server, error) {
			return baselineTLS("ch00/tls", hostport, o, func(hostport string, cfg *tls.Config) (Server, error) {
				return netecho.ListenTLS(hostport, cfg)
			})
		}),
		withOptions(Entry{
			ID:       "ch00/https",
			Summary:  "reference: Go's net/http helloworld over crypto/tls, the HTTPS baseline (-cert, -key)",
			Protocol: "https",
		}, func(hostport string, o Options) (Server, error) {
			return baselineTLS("ch00/https", hostport, o, func(hostport string, cfg *tls.Config) (Server, error) {
				return nethttp.ListenTLS(hostport, cfg)
			})
		}),
	)
}

// baselineTLS takes the certificate options only, as ch06's servers do (certPair), and listens
// with listen.
func baselineTLS(id, hostport string, o Options, listen func(string, *tls.Config) (Server, error)) (Server, error) {
	if o.HeaderTimeout != 0 || o.IdleTimeout != 0 || o.BodyTimeout != 0 {
		return nil, fmt.Errorf("%w: %s has no timeouts", ErrOption, id)
	}
	cert, key, cleanup, err := certPair(id, o)
	if err != nil {
		return nil, err
	}
	cfg, err := ssl.Options{CertFile: cert, KeyFile: key}.TLSConfig()
	if err == nil {
		var s Server
		if s, err = listen(hostport, cfg); err == nil {
			return &cleaned{Server: s, cleanup: cleanup}, nil
		}
	}
	cleanup()
	return nil, err
}

// cleaned is a Server that removes its self-signed pair once it has stopped.
type cleaned struct {
	Server
	cleanup func()
	once    sync.Once
}

// Serve serves, then cleans up once every connection is closed.
func (c *cleaned) Serve() error {
	defer c.once.Do(c.cleanup)
	return c.Server.Serve()
}

// Stop stops, then cleans up (Serve, if it is running, has returned or soon will; the
// configuration holds the certificate in memory).
func (c *cleaned) Stop() error {
	defer c.once.Do(c.cleanup)
	return c.Server.Stop()
}
