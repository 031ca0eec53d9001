// Descriptor exhaustion: more clients than the server has descriptors for, then released.

package soak

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// exhaustTimeout bounds each client's dial and first exchange under exhaustion: a client the
// server cannot accept waits in the listen backlog, or its SYN is dropped, until it gives up.
const exhaustTimeout = time.Second

// recoveryTimeout is how long the server gets to serve a fresh client once the others have gone.
const recoveryTimeout = 5 * time.Second

// exhaust runs four times as many clients as the server's descriptor limit, all at once: each
// that is served keeps exchanging until the window ends, then ends cleanly; each that is not
// gives up after exhaustTimeout. Then a fresh client is tried until it is served, which must
// happen within recoveryTimeout. Clients the server could not take are the point of the fault,
// not failures; a served client that fails later is one, and a wrong byte always is.
func exhaust(e *env, o *outcome) {
	n := min(4*e.fdLimit, e.conns)
	o.start = time.Now()
	end := o.start.Add(e.window)
	var answered, turnedAway atomic.Int64
	gate := make(chan struct{}, dialers)
	var group sync.WaitGroup
	for i := range n {
		group.Go(func() {
			o.conns.Add(1)
			gate <- struct{}{}
			cl, err := dial(e.proc.Addr, e.proto, e.seed+uint64(i), exhaustTimeout)
			<-gate
			if err != nil {
				turnedAway.Add(1)
				return
			}
			defer func() { o.bytes.Add(cl.bytes) }()
			if err := cl.Exchange(1, exhaustTimeout); err != nil {
				cl.Close()
				if errors.Is(err, ErrMismatch) {
					o.fail(err)
				} else {
					turnedAway.Add(1)
				}
				return
			}
			answered.Add(1)
			for r := 0; r < maxRounds && time.Now().Before(end); r++ {
				if err := cl.Exchange(1+cl.rng.IntN(maxBatch), e.timeout); err != nil {
					o.fail(fmt.Errorf("a served client: %w", err))
					cl.Close()
					return
				}
			}
			if err := cl.End(e.timeout); err != nil {
				o.fail(fmt.Errorf("a served client's end: %w", err))
			}
		})
	}
	group.Wait()
	o.end = time.Now()
	recovered := "NOT served"
	for start := time.Now(); time.Since(start) < recoveryTimeout; {
		if _, died := e.proc.Died(); died {
			break
		}
		b, err := served(e.proc.Addr, e.proto, exhaustTimeout)
		o.bytes.Add(b)
		if err == nil {
			recovered = time.Since(start).Round(time.Millisecond).String()
			break
		}
		if errors.Is(err, ErrMismatch) {
			o.fail(err)
			break
		}
		time.Sleep(20 * time.Millisecond) // a server at its limit retries accepting on its own time
	}
	o.note = fmt.Sprintf("%d served, %d away; fresh %s", answered.Load(), turnedAway.Load(), recovered)
}

// limitedArgv runs argv under a descriptor limit: the shell lowers its own soft and hard
// RLIMIT_NOFILE and replaces itself with the server, which keeps the limit and the process id.
func limitedArgv(limit int, argv []string) []string {
	return append([]string{"/bin/sh", "-c", `ulimit -n ` + strconv.Itoa(limit) + ` && exec "$@"`, "sh"}, argv...)
}
