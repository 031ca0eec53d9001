// What one scenario measured on one server.

package bench

// Result is one scenario's outcome on one server in one round. Exactly one of Idle, IdleCPU,
// PingPong, HTTP, Stalled, Fairness, Burn and Spread is set when the scenario completed; a server that died
// leaves Died set instead (and Idle, if the death came while connections were being opened, says
// how many were served).
type Result struct {
	Server   string   `json:"server"`
	Scenario Scenario `json:"scenario"`
	Round    int      `json:"round"` // 1-based; a summary row carries the round it was taken from
	// Died is the server's last words when it exited without being asked to: a result, shown
	// in the tables, never a row left out.
	Died string `json:"died,omitempty"`
	// Error is a client-side failure while the server lived: a refused or timed-out connection.
	Error string `json:"error,omitempty"`
	// Stop notes a server that had to be killed or exited badly after SIGTERM.
	Stop string `json:"stop,omitempty"`
	// External says what ran a server that is not the book's: "Tornado 6.2 on Python 3.11.2
	// (/usr/bin/python3)".
	External string `json:"external,omitempty"`

	Idle     *IdleResult     `json:"idle,omitempty"`
	IdleCPU  *IdleCPUResult  `json:"idle_cpu,omitempty"`
	PingPong *PingPongResult `json:"ping_pong,omitempty"`
	HTTP     *HTTPResult     `json:"http,omitempty"`
	// Handshake is chapter 6's full-handshake scenario (tls.go).
	Handshake *HandshakeResult `json:"handshake,omitempty"`
	Stalled   *StalledResult   `json:"stalled,omitempty"`
	Fairness  *FairnessResult  `json:"fairness,omitempty"`
	Burn      *BurnResult      `json:"burn,omitempty"`
	Spread    *SpreadResult    `json:"spread,omitempty"`
}

// OK reports whether the scenario ran to the end on a living server.
func (r Result) OK() bool { return r.Died == "" && r.Error == "" }

// IdleResult is what holding Conns idle connections costs the server.
type IdleResult struct {
	Served         int     `json:"served"`           // connections that got their line echoed
	Seconds        float64 `json:"seconds"`          // from the first dial until all were served
	RSSBeforeKiB   int64   `json:"rss_before_kib"`   // the server's RSS before the first dial
	RSSAfterKiB    int64   `json:"rss_after_kib"`    // and with every connection open and served
	RSSPerConnKiB  float64 `json:"rss_per_conn_kib"` // (after - before) / served
	Threads        int     `json:"threads"`          // the server's OS threads with all open
	ThreadsPerConn float64 `json:"threads_per_conn"` // threads / served
}

// IdleCPUResult is the CPU a server burns while its connections say nothing.
type IdleCPUResult struct {
	Conns            int     `json:"conns"`
	WindowSeconds    float64 `json:"window_seconds"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	CPUPerWallSecond float64 `json:"cpu_per_wall_second"` // 1.0 is a whole core
}

// PingPongResult is echo ping-pong's throughput, latency and CPU cost.
type PingPongResult struct {
	Conns     int     `json:"conns"`      // active connections
	IdleConns int     `json:"idle_conns"` // idle ones beside them (WatchCost)
	Messages  int64   `json:"messages"`   // round trips completed in the window
	Seconds   float64 `json:"seconds"`    // the window
	PerSecond float64 `json:"messages_per_second"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// MaxMicros is the slowest round trip. Percentiles count messages, so a connection the
	// server starves shows up here and in a low Messages more than in p99.
	MaxMicros       float64 `json:"max_us"`
	CPUSeconds      float64 `json:"server_cpu_seconds"`
	CPUMicrosPerMsg float64 `json:"server_cpu_us_per_message"`
	Mismatches      int64   `json:"mismatches"` // echoes that differed from the line sent: must be 0
}
