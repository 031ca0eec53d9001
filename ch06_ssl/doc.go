// Package ssl is chapter 6: TLS on the loop, and the TCPServer that serves it.
//
// It mirrors the SSL half of Tornado 3.2: TCPServer's ssl_options (checked when the server is
// made), ssl_wrap_socket in tornado/netutil.py and SSLIOStream in tornado/iostream.py, and
// makes the tutorial's promise true in Go: give the server a certfile and a keyfile and it
// speaks TLS (TCPServer是支持SSL的 … 只需要告诉它你的certifile和keyfile就行: "certifile" is the
// tutorial's typo for the key certfile).
//
//   - Options (options.go): CertFile, KeyFile, SSLVersion, CertReqs, CACerts, Ciphers, or a
//     ready *tls.Config; TLSConfig checks them with 3.2's messages, and also loads the pair and
//     checks that the key matches, which 3.2 did not. Defaults: TLS 1.2 at least, Go's cipher
//     suites, no renegotiation (a Go server never renegotiates).
//   - Transport (transport.go, adapter.go): a chapter 4 Transport over crypto/tls. The
//     handshake runs on a helper goroutine that the loop drives step by step; the data is
//     decrypted and encrypted on the loop's goroutine.
//   - NewTCPServer, NewHTTPServer, NewEchoServer (server.go): chapter 4's servers with
//     Options.ServerOption, which wraps each accepted socket.
//   - Connect (connect.go): the client, with SNI and verification.
//
// The book's chapter is book/06-ssl.md.
package ssl
