package soak

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"tornadotcp/internal/testutil"
)

// lineServer serves one connection on a new listener with handle, which gets every line read.
func lineServer(t *testing.T, handle func(c *net.TCPConn, line []byte) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil || !handle(c.(*net.TCPConn), line) {
				return
			}
		}
	}()
	return ln.Addr().String()
}

func TestClientVerifies(t *testing.T) {
	for _, tt := range []struct {
		name     string
		handle   func(c *net.TCPConn, line []byte) bool
		exchange error // from the exchange
		end      error // from End, after a good exchange
	}{
		{"echo", func(c *net.TCPConn, line []byte) bool { c.Write(line); return true }, nil, nil},
		{"a byte changed", func(c *net.TCPConn, line []byte) bool {
			line[0] ^= 1
			c.Write(line)
			return true
		}, ErrMismatch, nil},
		{"a line twice", func(c *net.TCPConn, line []byte) bool { c.Write(append(line, line...)); return true }, nil, ErrMismatch},
		{"a reset at the end", func(c *net.TCPConn, line []byte) bool {
			c.Write(line)
			io.Copy(io.Discard, c)
			c.SetLinger(0)
			return false
		}, nil, ErrNotEOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			addr := lineServer(t, tt.handle)
			cl, err := dial(addr, Echo, 1, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			err = cl.Exchange(1, 5*time.Second)
			if !errors.Is(err, tt.exchange) {
				t.Fatalf("Exchange = %v, want %v", err, tt.exchange)
			}
			if err != nil {
				cl.Close()
				return
			}
			if cl.bytes == 0 {
				t.Error("a verified exchange counted no bytes")
			}
			if err := cl.End(5 * time.Second); !errors.Is(err, tt.end) {
				t.Errorf("End = %v, want %v", err, tt.end)
			}
		})
	}
}
