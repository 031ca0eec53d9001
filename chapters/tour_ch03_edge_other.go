//go:build !linux

// Where there is no epoll there is nothing to compare: kqueue's filters are level-triggered
// unless EV_CLEAR is asked for, and chapter 3's kqueue backend never asks.

package main

import "errors"

// errNoEpoll is the demonstration's error where there is no epoll.
var errNoEpoll = errors.New("the level- against edge-triggered demonstration needs Linux's epoll")

func partialReader(edge bool) (triggerRun, error) { return triggerRun{}, errNoEpoll }
