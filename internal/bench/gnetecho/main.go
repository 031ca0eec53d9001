// Command gnetecho is the echo protocol on gnet v2 with one event loop: a Go server that owns
// its epoll loop the way chapter 3's does, measured beside it by `chapters bench` (row
// gnet/echo). It is a module of its own so that the book's module keeps its own dependencies
// to golang.org/x/sys and go-cmp.
//
// Usage: gnetecho HOST:PORT (port 0 picks one). The first line on standard output is
// `listening on HOST:PORT`; SIGTERM stops it with status 0.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// maxLine is the echo protocol's limit: a line of more than 64 KiB closes its connection.
const maxLine = 64 << 10

// echo echoes complete lines and keeps a partial one in gnet's inbound buffer.
type echo struct {
	gnet.BuiltinEventEngine
	eng chan gnet.Engine // the engine, once booted, for the signal handler to stop
}

// OnBoot says where the server listens: the listener's own address, so port 0 reports the
// port the kernel chose.
func (e *echo) OnBoot(eng gnet.Engine) gnet.Action {
	fd, err := eng.Dup()
	if err != nil {
		log.Printf("gnetecho: %v", err)
		return gnet.Shutdown
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		log.Printf("gnetecho: getsockname: %v", err)
		return gnet.Shutdown
	}
	var addr net.TCPAddr
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		addr = net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	case *unix.SockaddrInet6:
		addr = net.TCPAddr{IP: sa.Addr[:], Port: sa.Port}
	}
	fmt.Printf("listening on %s\n", &addr)
	e.eng <- eng
	return gnet.None
}

// OnTraffic echoes every complete line buffered so far in one write and leaves the partial
// one for the next call. gnet reads once per readiness event, so a line split across
// packets is joined here from its inbound buffer.
func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	end := 0
	for {
		i := bytes.IndexByte(buf[end:], '\n')
		if i < 0 {
			break
		}
		if i > maxLine {
			return e.tooLong(c, buf[:end])
		}
		end += i + 1
	}
	if len(buf)-end > maxLine {
		return e.tooLong(c, buf[:end])
	}
	if end == 0 {
		return gnet.None
	}
	if _, err := c.Write(buf[:end]); err != nil {
		return gnet.Close
	}
	c.Discard(end)
	return gnet.None
}

// OnClose runs just before gnet sends what is left of a connection's output, which it does
// without waiting: whatever the kernel does not take at once would be lost. After the client's
// EOF the protocol owes it every complete line, so the socket is made blocking for that last
// send, bounded by a send timeout so that a client that never reads cannot hold the loop.
func (e *echo) OnClose(c gnet.Conn, err error) gnet.Action {
	if !errors.Is(err, io.EOF) || c.OutboundBuffered() == 0 {
		return gnet.None
	}
	fd := c.Fd()
	timeout := unix.NsecToTimeval(int64(5 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &timeout); err != nil {
		log.Printf("gnetecho: %s: %v", c.RemoteAddr(), err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		log.Printf("gnetecho: %s: %v", c.RemoteAddr(), err)
	}
	return gnet.None
}

// tooLong echoes the lines before an over-long one and closes the connection.
func (e *echo) tooLong(c gnet.Conn, before []byte) gnet.Action {
	if len(before) > 0 {
		c.Write(before)
	}
	log.Printf("gnetecho: %s: line longer than %d bytes; closing", c.RemoteAddr(), maxLine)
	return gnet.Close
}

// stderrLogger sends gnet's log to standard error: its default logger writes to standard
// output, where the first line must be the listening line.
type stderrLogger struct{}

func (stderrLogger) Debugf(string, ...any)             {}
func (stderrLogger) Infof(format string, args ...any)  { log.Printf(format, args...) }
func (stderrLogger) Warnf(format string, args ...any)  { log.Printf(format, args...) }
func (stderrLogger) Errorf(format string, args ...any) { log.Printf(format, args...) }
func (stderrLogger) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

func main() {
	log.SetFlags(0)
	if len(os.Args) != 2 {
		log.Fatalf("usage: %s HOST:PORT", os.Args[0])
	}
	e := &echo{eng: make(chan gnet.Engine, 1)}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		eng := <-e.eng
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := eng.Stop(ctx); err != nil {
			log.Printf("gnetecho: stop: %v", err)
		}
	}()
	// One event loop, as chapter 3's server has: the comparison is loop against loop.
	err := gnet.Run(e, "tcp://"+os.Args[1], gnet.WithMulticore(false), gnet.WithNumEventLoop(1),
		gnet.WithLogger(stderrLogger{}))
	if err != nil {
		log.Fatalf("gnetecho: %v", err)
	}
}
