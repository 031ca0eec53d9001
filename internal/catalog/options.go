// Options: the settings beyond its address that `chapters run` passes to a server that takes
// them, the timeouts of chapters 3 and 4 and the process count of chapter 5.

package catalog

import (
	"errors"
	"fmt"
	"time"

	tcpserver "tornadotcp/ch04_tcpserver"
)

// Options are what a server may be given besides its address. The zero value leaves every
// server as it is by default. For each timeout, zero keeps the server's default and a negative
// value turns the timeout off, as for net/http's.
type Options struct {
	HeaderTimeout time.Duration // ch04/http: a request head
	IdleTimeout   time.Duration // ch04/http: between requests; ch03 and ch04/echo: no input
	BodyTimeout   time.Duration // ch04/http: a request body
	CertFile      string        // ch06: the certificate (PEM); none: a self-signed one is made
	KeyFile       string        // ch06: its private key (PEM)
	// Procs is how many processes a multi-process server of chapter 5 starts (Entry.Procs):
	// zero for its default, one per CPU where Tornado's is, as for Tornado's start(0).
	Procs int
	// HandshakeTimeout is ch06's bound on a TLS handshake (ssl.DefaultHandshakeTimeout by
	// default): the fault tests shorten it to see a stalled handshake closed.
	HandshakeTimeout time.Duration
}

// ErrOption: a server was given an option it does not take. Nothing was opened.
var ErrOption = errors.New("option not taken")

// ListenOptions is Listen with opts. A server refuses, with ErrOption and before it binds, an
// option it does not take, so that a setting is never silently ignored.
func (e Entry) ListenOptions(hostport string, opts Options) (Server, error) {
	if (opts.CertFile != "" || opts.KeyFile != "" || opts.HandshakeTimeout != 0) && !e.TLS() {
		return nil, fmt.Errorf("%w: %s does not speak TLS; -cert, -key and the handshake timeout are for ch06 servers", ErrOption, e.ID)
	}
	if opts.Procs != 0 && !e.Procs {
		return nil, fmt.Errorf("%w: %s runs in one process and takes no process count", ErrOption, e.ID)
	}
	if e.ListenWith != nil {
		return e.ListenWith(hostport, opts)
	}
	if opts != (Options{}) {
		return nil, fmt.Errorf("%w: %s has no timeouts", ErrOption, e.ID)
	}
	return e.Listen(hostport)
}

// withOptions gives e a ListenWith, listen, and a Listen that is listen with no options.
func withOptions[S Server](e Entry, listen func(hostport string, o Options) (S, error)) Entry {
	with := func(hostport string, o Options) (Server, error) {
		s, err := listen(hostport, o)
		if err != nil {
			return nil, err // not a typed nil pointer in the interface (see listener)
		}
		return s, nil
	}
	e.ListenWith = with
	e.Listen = func(hostport string) (Server, error) { return with(hostport, Options{}) }
	return e
}

// idleOnly refuses the timeouts an echo server does not have.
func (o Options) idleOnly(id string) error {
	if o.HeaderTimeout != 0 || o.BodyTimeout != 0 {
		return fmt.Errorf("%w: %s has an idle timeout only, no header or body timeout", ErrOption, id)
	}
	return nil
}

// timeouts are o's timeouts as chapter 4's server options; the ones left at zero are not given,
// so the server keeps its default, and a negative one turns that timeout off.
func (o Options) timeouts() []tcpserver.ServerOption {
	var opts []tcpserver.ServerOption
	for _, t := range []struct {
		d    time.Duration
		with func(time.Duration) tcpserver.ServerOption
	}{
		{o.HeaderTimeout, tcpserver.WithHeaderTimeout},
		{o.IdleTimeout, tcpserver.WithIdleTimeout},
		{o.BodyTimeout, tcpserver.WithBodyTimeout},
	} {
		if t.d != 0 {
			opts = append(opts, t.with(t.d))
		}
	}
	return opts
}
