// The tour: no arguments. Each chapter's lesson, run live on loopback, narrated and measured.
// Mirrors no Tornado function: it is the book's demonstrations, in the order the book tells them.

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
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
	{5, "processes: three children on one port, one killed and reborn with its task id", ch05Lesson},
	{6, "SSL: a handshake stepped on the loop, then curl against ch06/https", ch06Lesson},
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

// tourCommand is `chapters tour [N]`: the whole tour, or chapter N's lesson alone, for the
// reader whose chapter says "run the tour first".
func tourCommand(args []string, stdout, stderr io.Writer) int {
	chosen, err := chooseLessons(lessons, args)
	if err != nil {
		fmt.Fprintf(stderr, "chapters: tour: %v\nusage: chapters tour [N]\n", err)
		return 2
	}
	return tour(chosen, stdout, stderr)
}

// chooseLessons returns every lesson when args is empty, or the one lesson of chapter args[0].
func chooseLessons(all []lesson, args []string) ([]lesson, error) {
	switch len(args) {
	case 0:
		return all, nil
	case 1:
	default:
		return nil, fmt.Errorf("one chapter number at most, got %q", args)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return nil, fmt.Errorf("%q is not a chapter number; the tour has chapters %s", args[0], chapterNumbers(all))
	}
	for _, l := range all {
		if l.chapter == n {
			return []lesson{l}, nil
		}
	}
	return nil, fmt.Errorf("no lesson for chapter %d; the tour has chapters %s", n, chapterNumbers(all))
}

// chapterNumbers lists the chapters that have a lesson, as "1, 2, 3, 4".
func chapterNumbers(all []lesson) string {
	s := ""
	for i, l := range all {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(l.chapter)
	}
	return s
}

func tour(chosen []lesson, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "chapters: tour: cannot find this program to run it again as a child process: %v\n", err)
		return 1
	}
	env := &tourEnv{
		out:  stdout,
		self: func(args ...string) *exec.Cmd { return exec.Command(exe, args...) },
	}
	return runLessons(env, chosen, stderr)
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
