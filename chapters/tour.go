// The tour: no arguments. Each chapter's lesson, run live on loopback, narrated and measured.
// Mirrors no Tornado function: it is the book's demonstrations, in the order the book tells them.

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// A lesson is one chapter's part of the tour. It narrates on env.out only what it measured, and
// returns an error (rather than narrating around it) when something did not happen as the
// chapter says it should.
type lesson struct {
	chapter int
	title   string
	run     func(env *tourEnv) error
}

// lessons is the tour, in book order. Each chapter adds one line here and its lesson in its own
// file, tour_chNN.go.
var lessons = []lesson{
	{1, "blocking: a client waits, or a thread per client", ch01Lesson},
	{2, "non-blocking: busy-polling burns a core, select and poll sleep", ch02Lesson},
	{3, "the monitor: thousands of connections on one sleeping thread", ch03Lesson},
	{4, "TCPServer: HandleStream on one loop, and HTTP keep-alive measured", ch04Lesson},
}

// tourEnv is what a lesson is given: where to narrate, and how to run this program again as a
// child process, for lessons whose server must be a process of its own (one that is meant to
// die, or to fork). Under `go run` that is os.Executable; under `go test` it is the test binary.
type tourEnv struct {
	out  io.Writer
	self func(args ...string) *exec.Cmd
}

// say prints one line of narration.
func (env *tourEnv) say(format string, args ...any) {
	fmt.Fprintf(env.out, format+"\n", args...)
}

func tour(stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "chapters: tour: cannot find this program to run it again as a child process: %v\n", err)
		return 1
	}
	env := &tourEnv{
		out:  stdout,
		self: func(args ...string) *exec.Cmd { return exec.Command(exe, args...) },
	}
	return runLessons(env, lessons, stderr)
}

// runLessons runs every lesson, even after one fails, and returns 1 if any did.
func runLessons(env *tourEnv, all []lesson, stderr io.Writer) int {
	env.say("The tour: each chapter's lesson, run live on this machine's loopback and measured.")
	env.say("Tornado's TCPServer calls itself \"non-blocking, single-threaded\"; the tour shows what that")
	env.say("means by building up to it. The book (book/README.md) explains each step.")
	status := 0
	for _, l := range all {
		env.say("")
		env.say("Chapter %d: %s", l.chapter, l.title)
		start := time.Now()
		if err := l.run(env); err != nil {
			fmt.Fprintf(stderr, "chapters: tour: chapter %d: %v\n", l.chapter, err)
			status = 1
			continue
		}
		env.say("(chapter %d's lesson took %s)", l.chapter, roundDuration(time.Since(start)))
	}
	return status
}

// roundDuration keeps two or three significant figures, enough to read and no more.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}
