// The scenarios a server can be put through, as plain values a plan can list.

package bench

import (
	"fmt"
	"time"
)

// Kind names a scenario family; each has its own table.
type Kind string

const (
	// KindIdle opens Conns connections, each served one line, and leaves them open: memory and
	// threads per connection, and how long the server took to serve them all.
	KindIdle Kind = "idle"
	// KindIdleCPU holds Conns idle connections and measures the server's CPU over a window:
	// a server that polls burns a core doing nothing.
	KindIdleCPU Kind = "idlecpu"
	// KindPingPong runs Conns connections that each send a line and wait for its echo, again
	// and again: throughput, latency and the server's CPU per message.
	KindPingPong Kind = "pingpong"
	// KindWatchCost is a ping-pong on one connection beside Idle idle ones: what watching the
	// idle sockets costs per message (select and poll hand the kernel every one of them).
	KindWatchCost Kind = "watchcost"
)

// Scenario is one measurement, parameterised. Make them with Idle, IdleCPU, PingPong and
// WatchCost.
type Scenario struct {
	Kind Kind `json:"kind"`
	// Conns is the number of connections opened (Idle), held idle (IdleCPU) or active
	// (PingPong, WatchCost).
	Conns int `json:"conns"`
	// Idle is the number of extra idle connections beside the active one (WatchCost).
	Idle int `json:"idle,omitempty"`
	// MaxThreads, when not 0, starts the server with `-max-threads MaxThreads`, lowering the
	// Go runtime's OS-thread limit (10,000 by default).
	MaxThreads int `json:"max_threads,omitempty"`
}

// Idle opens n connections, each sending one line and reading its echo, and keeps them open.
func Idle(n int) Scenario { return Scenario{Kind: KindIdle, Conns: n} }

// IdleCPU measures the server's CPU while 100 connections sit idle.
func IdleCPU() Scenario { return Scenario{Kind: KindIdleCPU, Conns: 100} }

// PingPong runs c connections of echo ping-pong.
func PingPong(c int) Scenario { return Scenario{Kind: KindPingPong, Conns: c} }

// WatchCost runs ping-pong on one connection while k others sit idle.
func WatchCost(k int) Scenario { return Scenario{Kind: KindWatchCost, Conns: 1, Idle: k} }

// WithMaxThreads returns s with the server's OS-thread limit lowered to n.
func (s Scenario) WithMaxThreads(n int) Scenario {
	s.MaxThreads = n
	return s
}

// Name is the scenario as the progress lines and the JSON say it: "idle(1000)".
func (s Scenario) Name() string {
	n := s.Conns
	if s.Kind == KindWatchCost {
		n = s.Idle
	}
	name := fmt.Sprintf("%s(%d)", s.Kind, n)
	if s.MaxThreads > 0 {
		name += fmt.Sprintf(" max-threads=%d", s.MaxThreads)
	}
	return name
}

// Timing says how long the timed scenarios run.
type Timing struct {
	WarmUp   time.Duration `json:"warm_up_ns"`   // ping-pong before measuring: connections and caches settle
	PingPong time.Duration `json:"ping_pong_ns"` // the measured ping-pong window
	IdleCPU  time.Duration `json:"idle_cpu_ns"`  // the idle-CPU window
}

// QuickTiming is for `bench -quick`: one short round of the whole plan, a couple of minutes.
func QuickTiming() Timing {
	return Timing{WarmUp: 200 * time.Millisecond, PingPong: time.Second, IdleCPU: 2 * time.Second}
}

// FullTiming is for the committed results.
func FullTiming() Timing {
	return Timing{WarmUp: 500 * time.Millisecond, PingPong: 2 * time.Second, IdleCPU: 3 * time.Second}
}
