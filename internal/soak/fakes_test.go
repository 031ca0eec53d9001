package soak

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// fakeEnv names the planted fault a re-executed test binary serves instead of running tests.
const fakeEnv = "SOAK_TEST_FAKE_SERVER"

// Planted faults, each an echo server on Go's net package that behaves as `chapters run` does
// (the listening line first, exit 0 on SIGTERM) but for one thing.
const (
	fakeHealthy  = "healthy"  // a correct echo server that waits and retries when accept fails (EMFILE)
	fakeDropByte = "dropbyte" // drops the first byte of every 50th line
	fakeLeakFD   = "leakfd"   // ends every connection with a FIN but never closes its descriptor
	fakeCrash    = "crash"    // exits with status 2 at its 20th connection
)

// serveFake runs the planted server mode and exits.
func serveFake(mode string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	go func() {
		<-signals
		os.Exit(0)
	}()
	var (
		mu     sync.Mutex
		leaked []*os.File
		n      int
	)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) {
				time.Sleep(5 * time.Millisecond) // the descriptors come back when clients leave
				continue
			}
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
		if mode == fakeCrash && n == 20 {
			fmt.Fprintln(os.Stderr, "fatal error: planted crash")
			os.Exit(2)
		}
		go func() {
			defer c.Close()
			if mode == fakeLeakFD {
				// A duplicate keeps the socket open after Close; shutting down its write side
				// still sends the client its EOF.
				if f, err := c.(*net.TCPConn).File(); err == nil {
					defer syscall.Shutdown(int(f.Fd()), syscall.SHUT_WR)
					mu.Lock()
					leaked = append(leaked, f)
					mu.Unlock()
				}
			}
			r := bufio.NewReader(c)
			for i := 1; ; i++ {
				line, err := r.ReadBytes('\n')
				if err != nil {
					return
				}
				if mode == fakeDropByte && i%50 == 0 {
					line = line[1:]
				}
				if _, err := c.Write(line); err != nil {
					return
				}
			}
		}()
	}
}
