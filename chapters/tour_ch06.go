// Chapter 6's lesson for the tour: a TLS handshake stepped on the loop and watched from both
// ends (this file), then Tornado's helloworld over HTTPS fetched as curl would
// (tour_ch06_https.go).

package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	ioloop "tornadotcp/ch03_epoll"
	tcpserver "tornadotcp/ch04_tcpserver"
	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/selfsigned"
)

// ch06Facts is what chapter 6's lesson measured, for the narration and for its test.
type ch06Facts struct {
	Handshake handshakeFacts
	HTTPS     httpsFacts
}

// How chapter 6's lesson is run: what the server writes first, what the client sends, the
// requests of the HTTPS part and how long anything may take.
var ch06Plan = struct {
	Greeting, Line string
	Requests       int
	Within         time.Duration
}{
	Greeting: "hello from the loop\n",
	Line:     "hello, TLS\n",
	Requests: 200,
	Within:   10 * time.Second,
}

func ch06Lesson(env *tourEnv) error {
	_, err := runCh06(env)
	return err
}

func runCh06(env *tourEnv) (ch06Facts, error) {
	var f ch06Facts
	dir, err := os.MkdirTemp("", "tour-ch06-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	cert, key, err := selfsigned.Write(dir)
	if err != nil {
		return f, err
	}
	env.say("The tutorial: \"TCPServer是支持SSL的 … 只需要告诉它你的certifile和keyfile就行\". Given the pair")
	env.say("(a self-signed ECDSA P-256 certificate for localhost, made for this run), chapter 4's server")
	env.say("wraps each accepted socket in a TLS transport. Go's crypto/tls cannot pause a handshake when")
	env.say("the socket has no bytes, as Python's SSLWantReadError lets Tornado do, so the handshake runs on")
	env.say("a helper goroutine that moves only while the loop waits for it. Watched from both ends:")
	if f.Handshake, err = steppedHandshake(env, cert, key); err != nil {
		return f, fmt.Errorf("the stepped handshake: %w", err)
	}
	if f.HTTPS, err = httpsLikeCurl(env, cert, key, ch06Plan.Requests); err != nil {
		return f, fmt.Errorf("ch06/https: %w", err)
	}
	return f, nil
}

// flight is what one side sent in one go: its TLS records, as their headers name them.
type flight struct {
	From    string   // "client" or "server"
	Bytes   int      // on the wire
	Records []string // "handshake (ClientHello)", "change_cipher_spec", "encrypted (23)"
}

// handshakeFacts is what the stepped handshake showed.
type handshakeFacts struct {
	Addr             string
	Flights          []flight
	HelpersAtAccept  int  // helper goroutines when HandleStream ran: none, no byte had come
	CompleteAtAccept bool // the handshake was done when HandleStream ran (it must not be)
	HelpersMidway    int  // when the client sends its second flight: the helper, parked
	HelpersAfter     int  // once the greeting came: the helper has returned
	HelperGone       time.Duration
	Greeting         string // what the client read first: HandleStream's greeting
	Line, Echo       string // the client's line, as HandleStream read it, and as it came back
	LineOnLoop       bool   // the line's callback ran on the loop's goroutine
	Version, Suite   string // as the server's transport saw them
	Elapsed          time.Duration
}

// helperGoroutines counts the goroutines running a handshake in this process.
func helperGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "ch06_ssl.(*Transport).runHandshake(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// greeterHandler writes a greeting before the handshake has finished (it waits in the
// transport), then echoes one line, recording what it saw.
type greeterHandler struct {
	loop    *ioloop.IOLoop
	f       *handshakeFacts
	streams []*tcpserver.IOStream
}

func (h *greeterHandler) HandleStream(stream *tcpserver.IOStream, _ string) {
	h.streams = append(h.streams, stream)
	h.f.HelpersAtAccept = helperGoroutines()
	t, _ := stream.Transport().(*ssl.Transport)
	h.f.CompleteAtAccept = t == nil || t.ConnectionState().HandshakeComplete
	if stream.Write([]byte(ch06Plan.Greeting), nil) != nil {
		stream.Close()
		return
	}
	err := stream.ReadUntil([]byte("\n"), func(line []byte) {
		current, err := ioloop.Current()
		h.f.LineOnLoop = err == nil && current == h.loop
		h.f.Line = string(line)
		if t != nil {
			cs := t.ConnectionState()
			h.f.Version, h.f.Suite = tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite)
		}
		if stream.Write(line, stream.Close) != nil {
			stream.Close()
		}
	})
	if err != nil {
		stream.Close()
	}
}

// errNotStepped means the handshake did not go as the chapter says.
var errNotStepped = errors.New("the handshake did not step as chapter 6 says")

// steppedHandshake runs chapter 6's TCPServer on a loop of its own on this goroutine, while a
// crypto/tls client on another records every flight of the handshake and, between them, counts
// the server's helper goroutines.
func steppedHandshake(env *tourEnv, cert, key string) (handshakeFacts, error) {
	var f handshakeFacts
	loop, err := ioloop.New()
	if err != nil {
		return f, err
	}
	defer loop.Close()
	h := &greeterHandler{loop: loop, f: &f}
	server, err := ssl.NewTCPServer(h, ssl.Options{CertFile: cert, KeyFile: key}, tcpserver.WithIOLoop(loop))
	if err != nil {
		return f, err
	}
	if err := server.Listen(0, "127.0.0.1"); err != nil {
		return f, err
	}
	f.Addr = server.Addrs()[0]
	pem, err := os.ReadFile(cert)
	if err != nil {
		server.Stop()
		return f, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		err := handshakeClient(&f, f.Addr, &tls.Config{RootCAs: roots, ServerName: "localhost"})
		if cbErr := loop.AddCallback(func() {
			server.Stop()
			for _, s := range h.streams {
				s.Close()
			}
			loop.Stop()
		}); cbErr != nil && err == nil {
			err = cbErr
		}
		done <- err
	}()
	if err := loop.Start(); err != nil {
		server.Stop()
		return f, errors.Join(err, <-done)
	}
	if err := <-done; err != nil {
		return f, err
	}
	f.Elapsed = time.Since(start)
	if f.HelpersAtAccept != 0 || f.CompleteAtAccept || f.HelpersMidway != 1 || f.HelpersAfter != 0 ||
		f.Greeting != ch06Plan.Greeting || f.Line != ch06Plan.Line || f.Echo != ch06Plan.Line || !f.LineOnLoop ||
		len(f.Flights) < 3 {
		return f, fmt.Errorf("%w: helpers %d at accept (handshake done: %v), %d midway, %d after; greeting %q, line %q, echo %q, on the loop %v; %d flights",
			errNotStepped, f.HelpersAtAccept, f.CompleteAtAccept, f.HelpersMidway, f.HelpersAfter, f.Greeting, f.Line, f.Echo, f.LineOnLoop, len(f.Flights))
	}
	narrateHandshake(env, f)
	return f, nil
}

// handshakeClient connects through a recorder, completes the handshake, reads the greeting,
// sends the line and reads its echo.
func handshakeClient(f *handshakeFacts, addr string, cfg *tls.Config) error {
	raw, err := net.DialTimeout("tcp", addr, ch06Plan.Within)
	if err != nil {
		return err
	}
	rec := &flightRecorder{Conn: raw}
	// Before the client's second flight goes, it has read the server's whole flight: the
	// server's loop sent it after its helper had used up the ClientHello and parked.
	rec.beforeWrite = func(n int) {
		if n == 2 {
			f.HelpersMidway = helperGoroutines()
		}
	}
	c := tls.Client(rec, cfg)
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(ch06Plan.Within)); err != nil {
		return err
	}
	if err := c.Handshake(); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	if f.Greeting, err = r.ReadString('\n'); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	f.Flights = rec.flights() // the handshake's, and the flight that brought the greeting
	// The loop sent the greeting once it had seen Handshake return; the helper's goroutine
	// ends just after its last hand-off, so wait for it (bounded) rather than race it.
	gone := time.Now()
	for f.HelpersAfter = helperGoroutines(); f.HelpersAfter != 0 && time.Since(gone) < ch06Plan.Within; f.HelpersAfter = helperGoroutines() {
		time.Sleep(time.Millisecond)
	}
	f.HelperGone = time.Since(gone)
	if _, err := c.Write([]byte(ch06Plan.Line)); err != nil {
		return err
	}
	if f.Echo, err = r.ReadString('\n'); err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	return nil
}

// narrateHandshake tells the handshake, flight by flight, from what was recorded.
func narrateHandshake(env *tourEnv, f handshakeFacts) {
	env.say("")
	env.say("  ssl.NewTCPServer(handler, ssl.Options{CertFile, KeyFile}).Listen(0, \"127.0.0.1\"): %s", f.Addr)
	env.say("    a client connected: HandleStream ran at once, on the loop, before any TLS byte (helper")
	env.say("    goroutines then: %d; handshake complete: %v), and wrote %q: the transport holds it", f.HelpersAtAccept, f.CompleteAtAccept, ch06Plan.Greeting)
	for i, fl := range f.Flights {
		env.say("    flight %d, %s -> %s, %d bytes: %s", i+1, fl.From, other(fl.From), fl.Bytes, strings.Join(fl.Records, ", "))
		if i == 0 {
			env.say("      the loop's READ event: Transport.Read recv'd it, handed it to the helper (its first")
			env.say("      bytes start the goroutine) and waited; the helper's Handshake read it, wrote the reply")
			env.say("      into a buffer and, finding no more input, handed the turn back; the loop sent the reply")
		}
		if i == 1 {
			env.say("      while the client read it, the server had %d helper goroutine, parked until the loop feeds it", f.HelpersMidway)
		}
	}
	env.say("    the client's Finished let Handshake return; the loop saw it in the same Read, encrypted the")
	env.say("    held greeting and sent it: the client read %q; the helper's goroutine had ended", f.Greeting)
	env.say("    (gone %s after the greeting came)", roundDuration(f.HelperGone))
	env.say("    the client sent %q: its callback ran on the loop's own goroutine, over %s, %s,", f.Line, f.Version, f.Suite)
	env.say("    and the echo came back: all data is decrypted and encrypted on the loop, as in chapter 4")
	env.say("    (the whole exchange took %s)", roundDuration(f.Elapsed))
}

func other(side string) string {
	if side == "client" {
		return "server"
	}
	return "client"
}

// flightRecorder is the client's connection, recording its TLS records: a run of writes with no
// read between them is one client flight, a run of reads one server flight.
type flightRecorder struct {
	net.Conn
	beforeWrite func(n int) // called before the client's nth flight goes (1-based)

	mu     sync.Mutex
	all    []flight
	writes int
	in     []byte // server bytes not yet parsed into whole records
}

func (r *flightRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	if len(r.all) == 0 || r.all[len(r.all)-1].From != "client" {
		r.writes++
		if r.beforeWrite != nil {
			r.beforeWrite(r.writes)
		}
		r.all = append(r.all, flight{From: "client"})
	}
	fl := &r.all[len(r.all)-1]
	fl.Bytes += len(p)
	fl.Records = append(fl.Records, recordNames(p)...)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *flightRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.mu.Lock()
		if len(r.all) == 0 || r.all[len(r.all)-1].From != "server" {
			r.all = append(r.all, flight{From: "server"})
		}
		fl := &r.all[len(r.all)-1]
		fl.Bytes += n
		r.in = append(r.in, p[:n]...)
		for len(r.in) >= 5 {
			size := 5 + (int(r.in[3])<<8 | int(r.in[4]))
			if len(r.in) < size {
				break
			}
			fl.Records = append(fl.Records, recordNames(r.in[:size])...)
			r.in = r.in[size:]
		}
		r.mu.Unlock()
	}
	return n, err
}

// flights are the flights recorded so far.
func (r *flightRecorder) flights() []flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flight(nil), r.all...)
}

// recordNames names the whole records in p by their headers: the content type, and for a
// plaintext handshake record its first message.
func recordNames(p []byte) []string {
	var names []string
	for len(p) >= 5 {
		size := 5 + (int(p[3])<<8 | int(p[4]))
		switch p[0] {
		case 20:
			names = append(names, "change_cipher_spec")
		case 21:
			names = append(names, "alert")
		case 22:
			msg := map[byte]string{1: "ClientHello", 2: "ServerHello"}[p[min(5, len(p)-1)]]
			if msg == "" {
				msg = "message"
			}
			names = append(names, "handshake ("+msg+")")
		case 23:
			names = append(names, fmt.Sprintf("encrypted (%d bytes)", size-5))
		default:
			names = append(names, fmt.Sprintf("type %d", p[0]))
		}
		if size > len(p) {
			break
		}
		p = p[size:]
	}
	return names
}
