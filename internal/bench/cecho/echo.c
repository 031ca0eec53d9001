/*
 * echo.c: the echo protocol in C on one thread and a level-triggered epoll loop, the floor the
 * book's Go servers are measured against (`chapters bench`, row c/epoll). It makes the same
 * system calls a loop must make and nothing else: no runtime, no scheduler, no allocation per
 * message.
 *
 * The protocol: each complete line (ending in '\n') is echoed unchanged and in order; a partial
 * line is kept until its end arrives; a line of more than 64 KiB closes its connection; after the
 * client's EOF the complete lines are echoed and then the connection closes, its partial line
 * dropped. The server never closes first otherwise. Output the kernel does not take is kept and
 * sent on EPOLLOUT, and the connection is not read meanwhile, so a client that does not read
 * cannot make the server buffer without bound.
 *
 * Usage: echo HOST:PORT (port 0 picks one). The first line on standard output is
 * `listening on HOST:PORT`; SIGTERM or SIGINT closes everything and exits with status 0.
 * Build: cc -O2 -o echo echo.c (Linux).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINE (64 * 1024) /* longest line echoed, without its '\n' */
#define READ_SIZE (64 * 1024)

/* A connection: the partial line read so far, and the output the kernel has not taken yet. */
struct conn {
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	int eof;        /* the client has shut its side: close once the output is gone */
	int closing;    /* a line was too long: close once the lines before it are sent */
	int want_write; /* watching EPOLLOUT instead of EPOLLIN while output waits */
};

static int ep;
static struct conn **conns; /* indexed by descriptor */
static int conns_len;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* append grows *buf to hold len + n bytes and copies p after the first len. */
static void append(char **buf, size_t *cap, size_t len, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (len + n > *cap) {
		size_t c = *cap ? *cap : 4096;
		while (c < len + n)
			c *= 2;
		if (!(*buf = realloc(*buf, c)))
			die("realloc");
		*cap = c;
	}
	memcpy(*buf + len, p, n);
}

static void watch(int fd, int op, unsigned events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(ep, op, fd, &ev) < 0)
		die("epoll_ctl");
}

static void close_conn(int fd)
{
	struct conn *c = conns[fd];
	free(c->in);
	free(c->out);
	free(c);
	conns[fd] = NULL;
	close(fd); /* also removes it from the epoll set */
}

/*
 * send_all sends p[0:n] after any output already waiting. What the kernel does not take is kept
 * and the connection watches EPOLLOUT instead of EPOLLIN until it is gone; then it is read
 * again, or closed if it was waiting for that. Returns 0 if the connection was closed.
 */
static int send_all(int fd, const char *p, size_t n)
{
	struct conn *c = conns[fd];
	if (c->out_len > 0) {
		append(&c->out, &c->out_cap, c->out_len, p, n);
		c->out_len += n;
		p = c->out + c->out_off;
		n = c->out_len - c->out_off;
	}
	while (n > 0) {
		ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && errno == EAGAIN)
			break;
		if (sent < 0) {
			close_conn(fd); /* the peer is gone */
			return 0;
		}
		p += sent;
		n -= sent;
	}
	if (n > 0) {
		if (c->out_len == 0) {
			append(&c->out, &c->out_cap, 0, p, n);
			c->out_len = n;
		}
		c->out_off = c->out_len - n;
		if (!c->want_write) {
			watch(fd, EPOLL_CTL_MOD, EPOLLOUT);
			c->want_write = 1;
		}
		return 1;
	}
	c->out_off = c->out_len = 0;
	if (c->eof || c->closing) {
		close_conn(fd);
		return 0;
	}
	if (c->want_write) {
		watch(fd, EPOLL_CTL_MOD, EPOLLIN);
		c->want_write = 0;
	}
	return 1;
}

/*
 * lines returns how many bytes the complete lines at the start of p[0:n] take; the rest is a
 * partial line. A line over MAX_LINE, complete or not, marks the connection for closing after
 * the lines before it.
 */
static size_t lines(int fd, const char *p, size_t n)
{
	size_t end = 0;
	for (;;) {
		const char *nl = memchr(p + end, '\n', n - end);
		size_t len = nl ? (size_t)(nl - (p + end)) : n - end;
		if (len > MAX_LINE) {
			fprintf(stderr, "echo: fd %d: line longer than %d bytes; closing\n", fd, MAX_LINE);
			conns[fd]->closing = 1;
			return end;
		}
		if (!nl)
			return end;
		end += len + 1;
	}
}

/*
 * on_readable reads once (the loop is level-triggered: data left unread wakes it again) and
 * echoes the lines completed. It runs only while no output waits.
 */
static void on_readable(int fd)
{
	static char buf[READ_SIZE];
	struct conn *c = conns[fd];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		close_conn(fd); /* reset: nobody is left to echo to */
		return;
	}
	if (n == 0) {
		c->eof = 1; /* the partial line, if any, never ends: drop it */
		send_all(fd, NULL, 0);
		return;
	}
	if (c->in_len == 0) {
		/* The common case: no partial line waits, so echo straight from buf and keep the
		 * rest. */
		size_t used = lines(fd, buf, n);
		if (!c->closing && used < (size_t)n) {
			append(&c->in, &c->in_cap, 0, buf + used, n - used);
			c->in_len = n - used;
		}
		if (used > 0 || c->closing)
			send_all(fd, buf, used);
		return;
	}
	append(&c->in, &c->in_cap, c->in_len, buf, n);
	c->in_len += n;
	size_t used = lines(fd, c->in, c->in_len);
	if (used > 0 || c->closing) {
		/* The lines go out (or into out) before in is shifted under them. */
		if (!send_all(fd, c->in, used))
			return;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
}

static void on_accept(int listener)
{
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				perror("echo: accept"); /* out of descriptors: the next event retries */
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as Go's net does */
		if (fd >= conns_len) {
			int n = conns_len ? conns_len : 1024;
			while (n <= fd)
				n *= 2;
			if (!(conns = realloc(conns, n * sizeof *conns)))
				die("realloc");
			memset(conns + conns_len, 0, (n - conns_len) * sizeof *conns);
			conns_len = n;
		}
		if (!(conns[fd] = calloc(1, sizeof **conns)))
			die("calloc");
		watch(fd, EPOLL_CTL_ADD, EPOLLIN);
	}
}

/* listen_on binds HOST:PORT ("127.0.0.1:0", "[::1]:8888") and prints where it listens. */
static int listen_on(char *hostport)
{
	char *colon = strrchr(hostport, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	char *host = hostport, *port = colon + 1;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		host++;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	int err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "echo: %s:%s: %s\n", host, port, gai_strerror(err));
		exit(1);
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("echo: socket");
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0)
		die("echo: bind");
	freeaddrinfo(ai);

	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char name[INET6_ADDRSTRLEN];
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		die("echo: getsockname");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, name, sizeof name);
		printf("listening on [%s]:%d\n", name, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, name, sizeof name);
		printf("listening on %s:%d\n", name, ntohs(a->sin_port));
	}
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
		return 2;
	}
	/* Go raises its soft limit on open files to the hard one when it starts; so does this, so
	 * that ten thousand idle connections measure the loop, not a ulimit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* SIGTERM and SIGINT arrive as a readable descriptor in the loop, not as a handler that
	 * interrupts it. They are blocked before the listening line: whoever reads it may signal
	 * at once. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0)
		die("sigprocmask");
	int sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || sigfd < 0)
		die("echo: epoll_create1");
	int listener = listen_on(argv[1]);
	if (listener < 0) {
		fprintf(stderr, "echo: %s: want HOST:PORT\n", argv[1]);
		return 2;
	}
	watch(sigfd, EPOLL_CTL_ADD, EPOLLIN);
	watch(listener, EPOLL_CTL_ADD, EPOLLIN);

	struct epoll_event events[256];
	for (;;) {
		int n = epoll_wait(ep, events, 256, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("echo: epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd == sigfd) {
				fprintf(stderr, "echo: stopping\n");
				for (int c = 0; c < conns_len; c++)
					if (conns[c])
						close_conn(c);
				close(listener);
				return 0;
			}
			if (fd == listener)
				on_accept(listener);
			else if (conns[fd] && conns[fd]->want_write)
				send_all(fd, NULL, 0); /* EPOLLOUT, or an error send will report */
			else if (conns[fd])
				on_readable(fd);
		}
	}
}
