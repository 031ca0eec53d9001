// Command chapters lists, runs and benchmarks every chapter's server, and with no arguments gives
// the tour: each chapter's lesson run live on loopback, narrated and measured.
//
//	go run ./chapters                       the tour
//	go run ./chapters tour N                chapter N's lesson alone
//	go run ./chapters list                  every server id, one line each
//	go run ./chapters run ID [-addr H:P]    one server in the foreground
//	go run ./chapters bench [-quick]        blocking versus non-blocking, measured, into a temp dir
//	go run ./chapters bench -out book/results   the same, replacing the book's results
//	go run ./chapters soak [-d 10m]         the faults' long versions, with a leak report
//	go run ./chapters gencert [-dir D]      a self-signed certificate and key for the TLS demos
package main

import (
	"fmt"
	"io"
	"os"

	"tornadotcp/internal/catalog"
)

const usage = `usage:
  chapters                          the tour: every chapter's lesson, live, in about a minute
  chapters tour [N]                 the tour, or chapter N's lesson alone
  chapters list                     every runnable server id with a one-line description
  chapters run ID [-addr HOST:PORT] run one server until interrupted (default 127.0.0.1:8888)
  chapters bench [flags]            benchmarks into a new temp dir ('chapters bench -h' for flags);
                                    -out book/results regenerates the book's results
  chapters soak [-d 2m] [flags]     every fault against every non-blocking server, checked for
                                    lost bytes and leaks ('chapters soak -h' for flags)
  chapters gencert [-dir D]         write a self-signed certificate and key (ECDSA P-256, for
                                    localhost, 127.0.0.1, ::1) to D/cert.pem and D/key.pem
`

func main() {
	// A child process of a chapter 5 server goes straight to its server (see catalog.ChildMain).
	catalog.ChildMain()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return tour(lessons, stdout, stderr)
	}
	switch args[0] {
	case "tour":
		return tourCommand(args[1:], stdout, stderr)
	case "list":
		return list(stdout)
	case "run":
		return runServer(args[1:], stdout, stderr)
	case "bench":
		return bench(args[1:], stdout, stderr)
	case "soak":
		return soakCommand(args[1:], stdout, stderr)
	case "gencert":
		return gencert(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "chapters: unknown command %q\n%s", args[0], usage)
	return 2
}
