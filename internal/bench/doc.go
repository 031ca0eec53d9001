// Package bench measures the book's servers against each other: each one runs as its own
// process (a re-executed `chapters run ID`), pinned to its own CPU when there are two, and a
// plan of scenarios (idle connections, idle CPU, echo ping-pong, the cost of watching idle
// sockets, HTTP requests per second) is played against it with the same echo client the
// conformance suite uses. The server's CPU time, memory and thread count come from /proc, so
// they are the server's alone. Beside the book's servers stand peers that are not the book's: a
// C epoll echo server (the floor), gnet, the real Tornado and nginx, each built or found when
// the machine has what it needs, and left out with a note when it has not.
//
// The pieces, one file each: plan.go (which server runs which scenario; the one table to edit),
// scenario.go (the scenarios as values), proc.go (starting and stopping a server process),
// pin_linux.go (CPU affinity), procfs.go (reading /proc), dial.go, idle.go and pingpong.go (the
// client side), http.go, http_client.go and http_wrk.go (HTTP load, with wrk when installed),
// peers.go (the servers that are not the book's: the C floor from cecho/echo.c, gnet from the
// gnetecho module, a Go module of its own), nginx.go, tornado.go and tornado_scripts.go (the
// real Tornado, when python3 can import it), run.go (walking the plan), summary.go (one row
// out of several rounds), markdown.go, charts.go and svg.go (the book's tables and charts),
// views.go (each chapter's rows of them), write.go (the files), embed.go (the tables copied
// into the chapters).
//
// `go run ./chapters bench` runs DefaultPlan and writes its files into a new temporary
// directory; `go run ./chapters bench -out book/results` writes the book's, and
// `go run ./chapters bench -render book/results` redraws them from its bench.json.
//
// Tornado's own benchmark (demos/benchmark/benchmark.py in 3.2.2) drives its HTTP stack with ab
// and nothing else; this package is where the book's claims about blocking and non-blocking
// servers are measured side by side rather than asserted.
package bench
