// The soak subcommand: the long versions of the faults against every non-blocking server, each
// fault on a fresh server process, ending in a one-screen report. The library is internal/soak.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"tornadotcp/internal/soak"
)

// soakFlags are the soak subcommand's settings.
type soakFlags struct {
	duration time.Duration
	servers  []string
	faults   []soak.Fault
	conns    int
	fdLimit  int
	settle   time.Duration
}

// parseSoakFlags parses the soak subcommand's arguments; on failure or -h it returns the exit
// status, having said why on stderr.
func parseSoakFlags(args []string, stderr io.Writer) (*soakFlags, int, bool) {
	f := &soakFlags{}
	fs := flag.NewFlagSet("chapters soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.duration, "d", 2*time.Minute, "the whole soak, `DURATION`, shared equally by every server and fault (-d 10m is the long one)")
	servers := fs.String("servers", strings.Join(soak.DefaultServers, ","), "comma-separated server `IDS`")
	var faultNames []string
	for _, ft := range soak.Faults {
		faultNames = append(faultNames, ft.Name)
	}
	faults := fs.String("faults", strings.Join(faultNames, ","), "comma-separated `FAULTS` to run, in this order")
	fs.IntVar(&f.conns, "conns", 10_000, "the most connections a fault holds at once, `N` (bounded by the descriptor limit)")
	fs.IntVar(&f.fdLimit, "fdlimit", 256, "the descriptor limit, `N`, the exhaust fault runs its server under")
	fs.DurationVar(&f.settle, "settle", 5*time.Second, "how long, `DURATION`, a server gets to close its side once a fault's clients have gone")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chapters soak [-d DURATION] [-servers IDS] [-faults FAULTS] [-conns N] [-fdlimit N] [-settle DURATION]")
		fmt.Fprintln(stderr, "The faults:")
		for _, ft := range soak.Faults {
			fmt.Fprintf(stderr, "  %-10s %s\n", ft.Name, ft.Summary)
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0, false
		}
		return nil, 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chapters soak: unexpected arguments %q\n", fs.Args())
		return nil, 2, false
	}
	if f.duration <= 0 || f.conns <= 0 || f.fdLimit < 16 || f.settle < 0 {
		fmt.Fprintln(stderr, "chapters soak: -d and -conns must be positive, -fdlimit at least 16, -settle not negative")
		return nil, 2, false
	}
	f.servers = strings.Split(*servers, ",")
	for _, name := range strings.Split(*faults, ",") {
		ft, err := soak.FaultNamed(name)
		if err != nil {
			fmt.Fprintf(stderr, "chapters soak: %v\n", err)
			return nil, 2, false
		}
		f.faults = append(f.faults, ft)
	}
	return f, 0, true
}

func soakCommand(args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseSoakFlags(args, stderr)
	if !ok {
		return code
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "chapters soak: cannot find this program to start the servers with: %v\n", err)
		return 1
	}
	var targets []soak.Target
	for _, id := range f.servers {
		t, err := soak.CatalogTarget(exe, id)
		if err != nil {
			fmt.Fprintf(stderr, "chapters soak: %v\n", err)
			return 2
		}
		targets = append(targets, t)
	}
	rep, err := soak.Run(targets, soak.Options{Duration: f.duration, Faults: f.faults, Conns: f.conns,
		FDLimit: f.fdLimit, Settle: f.settle, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "chapters soak: %v\n", err)
		return 1
	}
	if err := rep.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "chapters soak: %v\n", err)
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}
