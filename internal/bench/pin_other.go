//go:build !linux

// Pinning elsewhere than Linux: not done, and said so.

package bench

import "os/exec"

// Pinning would put servers and client on CPUs of their own; only Linux's sched_setaffinity is
// used for that, so here it is never applied.
type Pinning struct {
	Applied   bool   `json:"applied"`
	ServerCPU int    `json:"server_cpu"`
	ClientCPU int    `json:"client_cpu"`
	Note      string `json:"note"`
}

// Pin changes nothing outside Linux.
func Pin() (*Pinning, error) {
	return &Pinning{Note: "not pinned: CPU affinity is set only on Linux", ServerCPU: -1, ClientCPU: -1}, nil
}

// Restore has nothing to undo.
func (p *Pinning) Restore() error { return nil }

func (p *Pinning) everyCPU() *Pinning { return p }

func (p *Pinning) start(cmd *exec.Cmd) error { return cmd.Start() }
