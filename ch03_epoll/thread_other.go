//go:build unix && !linux

// Without gettid, Current cannot tell threads apart; see Current for what it does instead.

package ioloop

func threadID() (tid int, exact bool) { return 0, false }
