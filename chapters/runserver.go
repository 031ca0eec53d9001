// The run subcommand: one server in the foreground until SIGINT or SIGTERM.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	blocking "tornadotcp/ch01_blocking"
	ssl "tornadotcp/ch06_ssl"
	"tornadotcp/internal/catalog"
)

// DefaultAddr is where `chapters run` listens unless told otherwise; Tornado's examples use 8888.
const DefaultAddr = "127.0.0.1:8888"

// DefaultGrace is how long a stopping server lets its busy connections finish before it ends
// them with a lingering close, which takes at most 2 s more (-grace). An echo client's lines or
// an HTTP request in flight need milliseconds on loopback and well under a second across the
// world, so a few seconds lets every honest client finish, while ending, lingering included,
// before a supervisor loses patience and kills the process (docker stop waits 10 s): a grace
// period the supervisor cuts short closes nothing cleanly.
const DefaultGrace = 3 * time.Second

func runServer(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chapters run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", DefaultAddr, "`HOST:PORT` to listen on; port 0 picks a free port")
	maxThreads := fs.Int("max-threads", 0, "lower the Go runtime's OS-thread limit (default 10000) to `N`, to watch ch01/threaded die of thread exhaustion")
	var opts catalog.Options
	fs.DurationVar(&opts.HeaderTimeout, "header-timeout", 0, "ch04/http: close a connection whose request head takes longer than `D` (default 60s; negative: never)")
	fs.DurationVar(&opts.IdleTimeout, "idle-timeout", 0, "close a connection idle for `D`: ch04/http between requests (default 75s), ch03/* and ch04/echo with no input (default never); negative: never")
	fs.DurationVar(&opts.BodyTimeout, "body-timeout", 0, "ch04/http: close a connection whose request body takes longer than `D` (default 60s; negative: never)")
	fs.IntVar(&opts.Procs, "procs", 0, "ch05/bind-start, ch05/add-sockets, ch05/reuseport: run `N` processes (default one per CPU); ch06/*: as ch05/bind-start (default one process)")
	fs.StringVar(&opts.CertFile, "cert", "", "ch06: the certificate `FILE` (PEM); none: a self-signed one is made in a temporary directory")
	fs.StringVar(&opts.KeyFile, "key", "", "ch06: the private key `FILE` (PEM) of -cert")
	grace := fs.Duration("grace", DefaultGrace, "on SIGINT or SIGTERM, give busy connections up to `DURATION` to finish (servers of chapter 2 on; 0 closes them at once); a second signal stops at once")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chapters run ID [-addr HOST:PORT] [-procs N] [-max-threads N] [-header-timeout D] [-idle-timeout D] [-body-timeout D] [-cert FILE -key FILE] [-grace DURATION]\nIDs: see 'chapters list'")
		fs.PrintDefaults()
	}
	id, err := parseWithID(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // already reported, with the usage
	}
	entry, err := catalog.Lookup(id)
	if err != nil {
		fmt.Fprintf(stderr, "chapters run: %v\n", err)
		return 2
	}
	if *maxThreads > 0 {
		debug.SetMaxThreads(*maxThreads)
	}
	srv, err := entry.ListenOptions(*addr, opts)
	if errors.Is(err, catalog.ErrOption) {
		fmt.Fprintf(stderr, "chapters run: %v\n", err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "chapters run %s: %v%s\n", id, err, listenHint(err))
		return 1
	}

	// Signals are caught before the listening line is printed: whoever reads that line may
	// send SIGTERM at once, and it must stop the server, not kill the process.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	fmt.Fprintf(stdout, "listening on %s\n", srv.Addr())
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	select {
	case sig := <-signals:
		say := func(msg string) { fmt.Fprintf(stderr, "chapters run %s: %s\n", id, msg) }
		if err := stop(srv, *grace, sig, signals, say); err != nil {
			fmt.Fprintf(stderr, "chapters run %s: stop: %v\n", id, err)
			return 1
		}
		// A signal that comes before the goroutine above has begun Serve makes Stop win the
		// race, and Serve then refuses to start (ErrServerClosed): a clean stop all the same.
		if err := <-served; err != nil && !errors.Is(err, blocking.ErrServerClosed) {
			fmt.Fprintf(stderr, "chapters run %s: %v\n", id, err)
			return 1
		}
		return 0
	case err := <-served:
		srv.Stop()
		fmt.Fprintf(stderr, "chapters run %s: server ended: %v\n", id, err)
		return 1
	}
}

// parseWithID accepts the id before or after the flags: `run ch01/iterative -addr :0` and
// `run -addr :0 ch01/iterative`. Like fs.Parse, it reports a mistake itself, with the usage.
func parseWithID(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", usageError(fs, "which server? give an id, such as ch01/iterative (see 'chapters list')")
	}
	id := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", usageError(fs, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	return id, nil
}

// usageError reports msg the way the flag package reports a bad flag: the message, then the
// usage.
func usageError(fs *flag.FlagSet, msg string) error {
	fmt.Fprintln(fs.Output(), msg)
	fs.Usage()
	return errors.New(msg)
}

// listenHint says what to do about the common failures to listen.
func listenHint(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "; another program has that port: stop it, or pick another with -addr 127.0.0.1:0"
	case errors.Is(err, syscall.EACCES):
		return "; ports below 1024 need privileges: pick a higher port"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "; that address is not on this machine: try 127.0.0.1 or ::1"
	case errors.Is(err, ssl.ErrMissingCertFile), errors.Is(err, ssl.ErrNoSuchFile), errors.Is(err, ssl.ErrKeyPair):
		return "; -cert and -key take PEM files, such as the pair 'go run ./chapters gencert' writes"
	}
	// An error with no errno underneath came from reading the address, not from the kernel.
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "; -addr takes HOST:PORT with an IP address, such as 127.0.0.1:8888 or [::1]:0 (port 0 picks a free port)"
	}
	return ""
}

// stop stops srv after the signal sig: gracefully if it can (catalog.Graceful) and grace is
// above zero, giving its busy connections up to grace; at once if it cannot, or if another
// signal comes meanwhile. say reports each step.
func stop(srv catalog.Server, grace time.Duration, sig os.Signal, signals <-chan os.Signal,
	say func(string)) error {
	g, ok := srv.(catalog.Graceful)
	if !ok || grace <= 0 {
		say(fmt.Sprintf("%v, stopping", sig))
		return srv.Stop()
	}
	say(fmt.Sprintf("%v, stopping gracefully: busy connections have %v to finish; "+
		"a second signal stops at once", sig, grace))
	stopped := make(chan error, 1)
	go func() { stopped <- g.Shutdown(grace) }()
	select {
	case err := <-stopped:
		return err
	case again := <-signals:
		say(fmt.Sprintf("%v, stopping at once", again))
		return errors.Join(srv.Stop(), <-stopped)
	}
}
