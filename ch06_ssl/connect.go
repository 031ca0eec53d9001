// The client side. Mirrors SSLIOStream.connect(address, callback, server_hostname) in
// tornado/iostream.py (3.2), with Go's verification on by default.

package ssl

import (
	"crypto/tls"
	"log/slog"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
)

// Connect opens a TLS connection to address ("HOST:PORT") and calls cb on the loop with a
// stream that reads and writes plaintext, before the handshake has finished, as Tornado 3.2
// does: writes wait for it, reads find input once it is done. serverHostname is sent as SNI and,
// unlike 3.2's default ssl_options={} (no verification at all), the server's certificate chain
// and hostname are verified against cfg.RootCAs (the system's when nil). A nil cfg is the
// default. To turn verification off for the self-signed demos, pass a cfg with
// InsecureSkipVerify: true (what curl --insecure does); to trust one certificate, put it in
// RootCAs. A failed verification ends the stream after the handshake's alert, and the stream's
// transport's HandshakeErr says why.
func Connect(loop *ioloop.IOLoop, address, serverHostname string, cfg *tls.Config,
	cb func(*tcpserver.IOStream, error), opts ...tcpserver.StreamOption) error {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverHostname
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	wrap := func(loop *ioloop.IOLoop, sock *tcpserver.SocketTransport) (tcpserver.Transport, error) {
		t := newTransport(sock, cfg, false, settings{loop: loop, log: slog.Default(), timeout: DefaultHandshakeTimeout})
		if err := t.startClient(); err != nil {
			t.handshakeOver()
			return nil, err
		}
		return t, nil
	}
	return tcpserver.ConnectVia(loop, address, wrap, cb, opts...)
}
