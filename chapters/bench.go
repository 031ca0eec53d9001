// The bench subcommand: every server of the plan in its own process, measured, and the results
// written for the book. The library is internal/bench; its plan.go says which server runs what.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	benchmarks "tornadotcp/internal/bench"
	"tornadotcp/internal/catalog"
)

func bench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chapters bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "short windows and one round: the whole plan in about two minutes instead of ten")
	out := fs.String("out", "book/results", "write bench.json, bench.md, one Markdown table per scenario and the SVG charts into `DIR`")
	servers := fs.String("servers", "", "run only these plan rows: comma-separated `IDS`, such as ch00/net,ch01/threaded")
	rounds := fs.Int("rounds", 0, "run the plan `N` times and report the median round (default 1 with -quick, else 3)")
	pin := fs.Bool("pin", true, "put the servers on one CPU and the client on another, when there are two (Linux)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chapters bench [-quick] [-out DIR] [-servers IDS] [-rounds N] [-pin=false]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chapters bench: unexpected arguments %q\n", fs.Args())
		return 2
	}

	plan := benchmarks.DefaultPlan
	if *servers != "" {
		ids := strings.Split(*servers, ",")
		for _, id := range ids {
			if benchmarks.IsExternal(id) {
				continue
			}
			if _, err := catalog.Lookup(id); err != nil {
				fmt.Fprintf(stderr, "chapters bench: %v\n", err)
				return 2
			}
		}
		var err error
		if plan, err = plan.Only(ids); err != nil {
			fmt.Fprintf(stderr, "chapters bench: %v\n", err)
			return 2
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "chapters bench: cannot find this program to start the servers with: %v\n", err)
		return 1
	}
	opt := benchmarks.Options{Exe: exe, Timing: benchmarks.FullTiming(), Quick: *quick, Rounds: *rounds, Pin: *pin, Progress: stderr}
	if *quick {
		opt.Timing = benchmarks.QuickTiming()
	}
	if opt.Rounds <= 0 {
		opt.Rounds = 3
		if *quick {
			opt.Rounds = 1
		}
	}

	rep, err := benchmarks.Run(plan, opt)
	if err != nil {
		fmt.Fprintf(stderr, "chapters bench: %v\n", err)
		return 1
	}
	if err := benchmarks.WriteMarkdown(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "chapters bench: %v\n", err)
		return 1
	}
	if err := benchmarks.WriteFiles(*out, rep); err != nil {
		fmt.Fprintf(stderr, "chapters bench: writing results: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "bench: results written to %s\n", *out)
	for _, r := range rep.Summary {
		if r.PingPong != nil && r.PingPong.Mismatches > 0 {
			fmt.Fprintf(stderr, "chapters bench: %s %s echoed %d lines wrongly: a server is broken\n", r.Server, r.Scenario.Name(), r.PingPong.Mismatches)
			return 1
		}
		if h := r.HTTP; h != nil && (h.Mismatches > 0 || h.Non2xx > 0) {
			fmt.Fprintf(stderr, "chapters bench: %s %s gave %d wrong answers and %d non-2xx statuses: a server is broken\n", r.Server, r.Scenario.Name(), h.Mismatches, h.Non2xx)
			return 1
		}
	}
	return 0
}
