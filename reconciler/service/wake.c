/*
 * The run loop's wake-up (wake.h): a non-blocking self-pipe, a pending
 * flag that makes pushes one, and a stop flag a signal handler sets.
 */
#include "reconciler/service/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

int gc_wake_init(gc_wake *w, gc_error *err)
{
	w->pending = 0;
	w->stop = 0;
	if (pipe(w->fds) < 0)
		return gc_error_set_errno(err, NULL, "pipe");
	for (int i = 0; i < 2; i++)
		if (fcntl(w->fds[i], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(w->fds[i], F_SETFD, FD_CLOEXEC) < 0) {
			gc_wake_release(w);
			return gc_error_set_errno(err, NULL, "fcntl");
		}
	return 0;
}

void gc_wake_release(gc_wake *w)
{
	for (int i = 0; i < 2; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	w->fds[0] = w->fds[1] = -1;
}

/* One byte into the pipe; a full pipe already wakes the loop. */
static void poke(gc_wake *w)
{
	ssize_t n;

	do
		n = write(w->fds[1], "!", 1);
	while (n < 0 && errno == EINTR);
}

void gc_wake_push(gc_wake *w)
{
	if (__atomic_exchange_n(&w->pending, 1, __ATOMIC_SEQ_CST) == 0)
		poke(w);
}

void gc_wake_stop(gc_wake *w)
{
	int saved = errno; /* a signal handler leaves errno as it was */

	w->stop = 1;
	poke(w);
	errno = saved;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain(gc_wake *w)
{
	char buf[64];

	while (read(w->fds[0], buf, sizeof(buf)) > 0)
		;
}

gc_wake_reason gc_wake_wait(gc_wake *w, int64_t timeout_ms)
{
	int64_t end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		struct pollfd p = { w->fds[0], POLLIN, 0 };
		int64_t left;

		drain(w);
		if (w->stop)
			return GC_WAKE_STOP;
		if (__atomic_exchange_n(&w->pending, 0, __ATOMIC_SEQ_CST))
			return GC_WAKE_PUSH;
		if ((left = end - now_ms()) <= 0)
			return GC_WAKE_TIMEOUT;
		/* at most a day per poll: the int of poll(2) */
		poll(&p, 1, left > 86400000 ? 86400000 : (int)left);
	}
}
