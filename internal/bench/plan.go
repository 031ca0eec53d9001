// The plan: which server is put through which scenarios. This table is the one place to edit.

package bench

import (
	"fmt"
	"slices"
	"strings"
)

// Row is one server and the scenarios it runs, in order. Each scenario gets a fresh server
// process, so one scenario's threads and memory never count in the next.
type Row struct {
	// Server is a catalog id, which `chapters run` must start, or a label: the id followed by
	// flags of `chapters run` ("ch05/bind-start -procs 2", SplitLabel), a row of its own.
	Server    string     `json:"server"`
	Scenarios []Scenario `json:"scenarios"` // in the order they run
}

// Plan is the list of rows, in the order they run and the tables show them.
type Plan []Row

// blockingPlan is what chapter 1's threaded server and the net baseline both run: idle
// connections up to 5,000 (the threaded server spends an OS thread on each), echo ping-pong at 1
// and 100 connections, and the idle CPU.
var blockingPlan = []Scenario{Idle(100), Idle(1000), Idle(5000), PingPong(1), PingPong(100), IdleCPU()}

// singleThreadPlan is what each of chapter 2's one-thread servers runs: the idle CPU (busy-poll's
// lesson), ping-pong at 1 and 100 connections, idle memory, and the cost of watching 1,000 idle
// sockets beside one busy one. Idle and WatchCost stop at 1,000 connections because select
// cannot watch a descriptor past 1023 (1,001 connections and the server's own few descriptors
// fit below it); poll adds WatchCost(10000) in its own row.
var singleThreadPlan = []Scenario{IdleCPU(), PingPong(1), PingPong(100), Idle(100), Idle(1000), WatchCost(0), WatchCost(1000)}

// loopPlan is what chapter 3's epoll server runs: the full idle ladder up to C10K (memory and
// threads per connection, and how soon all are served beside ch00/net), the idle CPU,
// ping-pong up to 1,000 connections, and the watch-cost curve, which an epoll loop should keep
// flat.
var loopPlan = []Scenario{Idle(100), Idle(1000), Idle(10000), IdleCPU(), PingPong(1), PingPong(100), PingPong(1000),
	WatchCost(0), WatchCost(1000), WatchCost(10000)}

// peerPlan is what the echo peers run (peers.go): the C floor and gnet, for the CPU a message
// costs an event loop at 1, 100 and 1,000 connections, and for what 10,000 idle connections
// cost one.
var peerPlan = []Scenario{PingPong(1), PingPong(100), PingPong(1000), Idle(10000)}

// stalledPlan and stalledHTTPPlan: 100 and 1,000 clients that send and never read (stalled.go).
// 1,000 and the server's own few descriptors fit below select's wall.
var (
	stalledPlan     = []Scenario{Stalled(100), Stalled(1000)}
	stalledHTTPPlan = []Scenario{StalledHTTP(100), StalledHTTP(1000)}
)

// tlsPlan is what chapter 6's echo and its baseline run: ping-pong over TLS at 1, 100 and 1,000
// connections, then full handshakes from 8 clients at a time (enough to keep one server core
// busy while the client's core does its half of each handshake).
var tlsPlan = []Scenario{TLSPingPong(1), TLSPingPong(100), TLSPingPong(1000), Handshakes(8)}

// DefaultPlan is what `chapters bench` runs. A later chapter adds its servers as rows, and may
// add scenarios to earlier rows. Keep ch00/net first: it is the baseline every table is read
// against. Each row's server must be in the catalog, or be a peer (IsExternal: the C floor,
// gnet, the real Tornado, nginx), which the tables show beside the book's server it is
// compared with; the tables keep the plan's order of servers.
//
// Chapter 2 gives the baseline and the threaded server the watch-cost scenarios too, so that
// the table compares select's and poll's curve with servers whose cost per message does not
// depend on how many others sit idle. Chapter 3 gives the baseline 10,000 idle connections and
// 1,000 in ping-pong, the sizes it compares epoll with, and the threaded server 10,000 idle
// connections, which it cannot hold: the Go runtime's limit of 10,000 OS threads ends it, and
// that death is the row's result. So close to the limit the ending can vary (measured: usually
// dead a few connections short; once alive when sampled, all served; once hung until the
// clients timed out), and the row records whichever happened. ch03/poll is the same loop on
// poll(2), so its rows are the ones where the monitor makes the difference.
var DefaultPlan = Plan{
	{"ch00/net", slices.Concat(blockingPlan, []Scenario{Idle(10000), PingPong(1000), WatchCost(0), WatchCost(1000), WatchCost(10000)})},
	{"ch01/iterative", []Scenario{PingPong(1)}},
	{"ch01/threaded", slices.Concat(blockingPlan, []Scenario{Idle(10000), WatchCost(0), WatchCost(1000), PingPong(1000)})},
	// A process per client: what starting one costs (time to serve all) and holding one (RSS and
	// threads summed over the children), at sizes a shared machine's memory holds. It stops at
	// 1,000: each child is a Go program of a few MiB and several threads, so 10,000 would ask
	// for tens of GiB and over 30,000 threads, past this machine's memory and its per-user
	// process limit, and take every other process on it down first.
	{"ch01/forked", []Scenario{Idle(100), Idle(1000), PingPong(1), PingPong(100), PingPong(1000)}},
	{"ch02/busypoll", singleThreadPlan},
	{"ch02/select", singleThreadPlan},
	{"ch02/poll", slices.Concat(singleThreadPlan, []Scenario{WatchCost(10000)})},
	{CEpoll, peerPlan},
	{GnetEcho, peerPlan},
	{"ch03/epoll", loopPlan},
	{"ch03/poll", []Scenario{PingPong(1), PingPong(100), WatchCost(0), WatchCost(1000), WatchCost(10000), IdleCPU()}},
	{"ch04/echo", []Scenario{Idle(1000), Idle(10000), IdleCPU(), PingPong(1), PingPong(100), PingPong(1000)}},
	{TornadoEcho, []Scenario{Idle(1000), Idle(10000), IdleCPU(), PingPong(1), PingPong(100), PingPong(1000)}},
	// Chapter 5: the multi-process echo beside the blocking and the loop servers it is weighed
	// against (the tutorial's "more efficient than multi-threaded or multi-process"), pinned to
	// the server CPU like them; then scaling with a CPU-bound request and the spread over
	// children, where the label's -procs puts the processes on every CPU (Start).
	{"ch05/bind-start", []Scenario{Idle(100), Idle(1000), Idle(10000), PingPong(1), PingPong(100), PingPong(1000)}},
	{"ch05/bind-start -procs 1", []Scenario{Burn(16)}},
	{"ch05/bind-start -procs 2", []Scenario{Burn(16), BurnBurst(16), Spread(200)}},
	{"ch05/reuseport -procs 2", []Scenario{Burn(16), BurnBurst(16), Spread(200)}},
	{"ch05/bind-start -procs 4", []Scenario{Spread(200)}},
	{"ch05/reuseport -procs 4", []Scenario{Spread(200)}},
	{"ch00/http", []Scenario{HTTP(50)}},
	{NginxHTTP, []Scenario{HTTP(50)}},
	{"ch04/http", []Scenario{HTTP(50)}},
	{TornadoHTTP, []Scenario{HTTP(50)}},
	// Chapter 6: the TLS echo, full handshakes and HTTPS, each beside Go's crypto/tls on net.
	{"ch00/tls", tlsPlan},
	{"ch06/tls-echo", tlsPlan},
	{"ch00/https", []Scenario{HTTPS(50)}},
	{NginxHTTPS, []Scenario{HTTPS(50)}},
	{"ch06/https", []Scenario{HTTPS(50)}},
	// What clients that send and never read cost each loop server, and whether it gives the
	// memory back once they leave, beside the baseline (stalled.go).
	{"ch00/net", stalledPlan},
	{"ch02/busypoll", stalledPlan},
	{"ch02/select", stalledPlan},
	{"ch02/poll", stalledPlan},
	{"ch03/epoll", stalledPlan},
	{"ch03/poll", stalledPlan},
	{"ch04/echo", stalledPlan},
	{"ch00/http", stalledHTTPPlan},
	{"ch04/http", stalledHTTPPlan},
	// Last, fairness: a fresh client's wait for one answer while busy clients send all they can.
	{"ch00/net", []Scenario{Fairness(200)}},
	{"ch03/epoll", []Scenario{Fairness(200)}},
	{"ch04/echo", []Scenario{Fairness(200)}},
	{"ch00/http", []Scenario{FairnessHTTP(50)}},
	{"ch04/http", []Scenario{FairnessHTTP(50)}},
}

// SplitLabel splits a row's label into the catalog id and the flags after it.
func SplitLabel(label string) (id string, flags []string) {
	fields := strings.Fields(label)
	if len(fields) == 0 {
		return "", nil
	}
	return fields[0], fields[1:]
}

// Only keeps the rows whose server's id is in ids, in the plan's order (every label of an id). An id the plan does not
// have is an error that lists the ones it does.
func (p Plan) Only(ids []string) (Plan, error) {
	var known []string
	for _, r := range p {
		if id, _ := SplitLabel(r.Server); !slices.Contains(known, id) {
			known = append(known, id)
		}
	}
	for _, id := range ids {
		if !slices.Contains(known, id) {
			return nil, fmt.Errorf("no benchmark plan for server %q; the plan has: %s", id, strings.Join(known, ", "))
		}
	}
	var out Plan
	for _, r := range p {
		if id, _ := SplitLabel(r.Server); slices.Contains(ids, id) {
			out = append(out, r)
		}
	}
	return out, nil
}
