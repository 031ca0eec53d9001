// The busy-polling server: no monitor at all, just asking every socket again and again. It is
// what the tutorial warns non-blocking recv would be without one, built to be measured.

package nonblocking

import "time"

// NewBusyPoll listens on hostport and returns a server whose loop calls non-blocking accept on
// the listener and recv (and send, when output is owed) on every connection, over and over. Most
// calls answer EAGAIN. It serves correctly, and it keeps one core at 100% even when every client
// is idle: nothing ever tells it to wait. Stop sets a flag the loop checks every pass.
func NewBusyPoll(hostport string) (*Server, error) {
	s, err := newServer(hostport, "busypoll", false)
	if err != nil {
		return nil, err
	}
	s.run = (*loop).busyPoll
	return s, nil
}

func (l *loop) busyPoll() error {
	for !l.stopping() {
		now := time.Now()
		l.tick(now)
		for _, c := range l.conns {
			if c.WantRead() && !l.read(c) {
				continue
			}
			if c.WantWrite() {
				l.write(c)
			}
		}
		if l.accepting(now) {
			if err := l.accept(); err != nil {
				return err
			}
		}
	}
	return nil
}
