// Pinning the server and the client to CPUs of their own (Linux: sched_setaffinity).

package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Pinning puts every server process on one CPU and this process, the client, on another, so the
// two never compete for a core and the server's CPU time is not inflated by the client's.
type Pinning struct {
	Applied   bool   `json:"applied"`
	ServerCPU int    `json:"server_cpu"`
	ClientCPU int    `json:"client_cpu"`
	Note      string `json:"note"`

	saved unix.CPUSet // this process's mask before pinning, for Restore
}

// Pin chooses the first two CPUs this process may run on, moves every thread of this process to
// the second, and returns the Pinning that starts servers on the first. With fewer than two
// CPUs it changes nothing and says so in Note.
func Pin() (*Pinning, error) {
	var saved unix.CPUSet
	if err := unix.SchedGetaffinity(0, &saved); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for cpu := 0; cpu < len(saved)*64 && len(cpus) < 2; cpu++ {
		if saved.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	if len(cpus) < 2 {
		return &Pinning{Note: "not pinned: only one CPU, so the server and the client share it", ServerCPU: -1, ClientCPU: -1}, nil
	}
	p := &Pinning{Applied: true, ServerCPU: cpus[0], ClientCPU: cpus[1], saved: saved,
		Note: fmt.Sprintf("server on CPU %d, client on CPU %d", cpus[0], cpus[1])}
	var client unix.CPUSet
	client.Set(p.ClientCPU)
	if err := setAllThreads(&client); err != nil {
		return nil, err
	}
	return p, nil
}

// Restore gives every thread of this process back the CPUs it had before Pin.
func (p *Pinning) Restore() error {
	if !p.Applied {
		return nil
	}
	return setAllThreads(&p.saved)
}

// setAllThreads sets the affinity of every thread of this process. A thread the Go runtime
// starts later inherits the mask of the thread that created it, so setting the ones that exist
// now is enough; the list is read twice in case one was being created meanwhile.
func setAllThreads(set *unix.CPUSet) error {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("listing threads: %w", err)
		}
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched_setaffinity(thread %d): %w", tid, err)
			}
		}
	}
	return nil
}

// everyCPU is p for a server of several processes: started on every CPU p found (the mask this
// process had before Pin), sharing the client's.
func (p *Pinning) everyCPU() *Pinning {
	if p == nil || !p.Applied {
		return p
	}
	all := *p
	all.ServerCPU = -1
	return &all
}

// start starts cmd pinned to the server's CPU (to every CPU of the saved mask for everyCPU). A child inherits the affinity of the thread that
// forked it, so the fork happens on a locked thread whose own mask is the server's CPU for the
// moment, and put back afterwards. If putting it back fails, the goroutine ends still locked and
// the Go runtime throws that thread away rather than reuse it with the wrong mask.
func (p *Pinning) start(cmd *exec.Cmd) error {
	if p == nil || !p.Applied {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var own, server unix.CPUSet
		if err := unix.SchedGetaffinity(0, &own); err != nil {
			errc <- fmt.Errorf("sched_getaffinity: %w", err)
			return
		}
		if p.ServerCPU < 0 {
			server = p.saved
		} else {
			server.Set(p.ServerCPU)
		}
		if err := unix.SchedSetaffinity(0, &server); err != nil {
			errc <- fmt.Errorf("sched_setaffinity(server CPU %d): %w", p.ServerCPU, err)
			return
		}
		err := cmd.Start()
		if unix.SchedSetaffinity(0, &own) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}
