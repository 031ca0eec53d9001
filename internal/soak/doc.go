// Package soak runs the long versions of the faults a server meets in production against the
// book's servers, each in a process of its own (internal/bench starts it), and checks what a
// client sees and what the server keeps: verified traffic on up to 10,000 connections, churn,
// resets mid-line, slowloris connections, stalled readers, descriptor exhaustion, and, for
// chapter 5's servers in several processes, children killed under load. Every echo
// and every HTTP answer is compared byte for byte with what it must be; the server's descriptors
// and memory (its process tree's, children included) are read from /proc before, during and
// after each fault. `go run ./chapters soak`
// runs it and prints a one-screen report.
//
// The pieces: protocol.go (what a client sends and what it must get back, for the echo protocol
// and for HTTP keep-alive), client.go (one verified connection), faults.go and faults_slow.go
// (the faults), exhaust.go (descriptor exhaustion), faults_processes.go (killing children), watch.go (sampling the server, the leak
// checks), report.go (the rows and the screen), run.go (walking servers and faults).
package soak
