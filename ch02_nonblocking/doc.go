// Package nonblocking is chapter 2: the same echo server on non-blocking sockets, served by one
// thread, three ways. It follows the tutorial's paragraph on non-blocking recv (非阻塞) and its
// "monitor" (监视器): a non-blocking recv returns at once when there is nothing to read, so a
// server that simply keeps asking wastes the CPU; the fix is to let the kernel say which
// connections are ready.
//
// It mirrors, in their simplest form, parts of Tornado that chapters 3 and 4 build properly:
//   - OutBuf is the write half of tornado/iostream.py (3.2): write what the kernel takes now,
//     keep the rest until the socket is writable, in order, and free it when empty.
//   - EchoConn is one connection's state: its descriptor, chapter 1's Lines, an OutBuf, and
//     whether it is reading, has seen EOF, or is closing.
//   - Waker is the self-pipe of tornado/platform/posix.py (3.2): Stop wakes a loop asleep in
//     select or poll through it, and chapter 3's loop uses it where there is no eventfd.
//   - The select server is the fallback backend of tornado/platform/select.py (3.2) with the
//     IOLoop written out inline, one pass at a time. Tornado has no poll backend; the poll
//     server is the step between select and chapter 3's epoll.
//
// Three servers, each a single goroutine locked to one OS thread (runtime.LockOSThread), so one
// thread does all the I/O however many clients there are:
//   - NewBusyPoll loops over every socket calling non-blocking accept, recv and send. It works,
//     and it burns a whole core while every client is idle.
//   - NewSelect asks select(2) which sockets are ready. Its descriptor sets are fixed bitmaps of
//     FDSetSize (1024) bits, so a connection whose descriptor is 1024 or more is closed at once
//     with a logged explanation: the wall select cannot pass.
//   - NewPoll asks poll(2), which takes a list instead of a bitmap: no wall, but every call
//     hands the kernel the whole list and the kernel checks every entry, so each pass costs time
//     in proportion to the number of connections, busy or not. Chapter 3's epoll removes that.
//
// Sockets, addresses, the accept call, what its errors mean, the line framing and Lifecycle are
// chapter 1's, imported.
package nonblocking
