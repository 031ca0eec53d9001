// Options for New: which monitor the loop sleeps in and where it logs. Tornado picks the backend
// by subclass (EPollIOLoop, KQueueIOLoop, SelectIOLoop); here the backend is a value.

package ioloop

import "log/slog"

// An Option configures New.
type Option func(*IOLoop)

// WithPoller makes the loop wait in p instead of the platform's default (epoll on Linux, kqueue
// on the BSDs and macOS). The loop owns p from then on and closes it in Close.
func WithPoller(p Poller) Option { return func(l *IOLoop) { l.poller = p } }

// WithLogger sends the loop's reports (panics in handlers and callbacks) to logger instead of
// slog.Default(); nil means slog.Default().
func WithLogger(logger *slog.Logger) Option { return func(l *IOLoop) { l.log = logger } }
