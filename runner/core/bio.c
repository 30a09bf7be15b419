#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bio.h"
#include "err.h"
#include "util.h"
#include "banned.h"

/*
 * A file's data is written at once; making it durable (fsync, then
 * the rename and the directory's fsync) is I/O wait that would add 70-90
 * ms a file on the bench, so it happens on a thread of its own while the
 * tick goes on, and bio_wait joins them. Until then a reader sees the
 * file it replaces, which is only ever slower, never wrong.
 */
#define PENDING_MAX 16

struct pending {
	pthread_t tid;
	int fd;
	char tmp[4096], path[4096];
	/* a lent write: the data is written on the thread too */
	struct iovec v[16];
	int n;
	void *own;
	int rc; /* the write's answer, read when it ran here */
};

static struct pending *pending[PENDING_MAX];
static int npending;

static void *commit_thread(void *arg)
{
	struct pending *p = arg;

	/* a lent write writes its data here first */
	if (p->n && (p->rc = file_write_temp(p->path, p->v, p->n, p->tmp,
					     sizeof(p->tmp), &p->fd)) == 0)
		p->n = 0;
	if (!p->n)
		p->rc = file_write_commit(p->fd, p->tmp, p->path);
	free(p->own);
	p->own = NULL;
	return NULL;
}

/*
 * A new write of path, after the older ones of the same file (they land
 * first) and with its directory made; NULL when out of memory.
 */
static struct pending *pending_new(const char *path)
{
	char dir[4096], *slash;
	struct pending *p;
	int i;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		dir_create(dir);
	}
	/* a full list drains whole */
	for (i = 0; i < npending;) {
		if (npending < PENDING_MAX && strcmp(pending[i]->path, path)) {
			i++;
			continue;
		}
		pthread_join(pending[i]->tid, NULL);
		free(pending[i]);
		pending[i] = pending[--npending];
	}
	if ((p = calloc(1, sizeof(*p)))) {
		snprintf(p->path, sizeof(p->path), "%s", path);
		p->fd = -1;
	}
	return p;
}

/* Runs p on a thread of its own (here, when none starts). */
static int pending_start(struct pending *p)
{
	int rc;

	if (!pthread_create(&p->tid, NULL, commit_thread, p)) {
		pending[npending++] = p;
		return 0;
	}
	commit_thread(p);
	rc = p->rc;
	free(p);
	return rc;
}

int bio_write_lent(const char *path, const struct iovec *v, int n, void *own)
{
	struct pending *p;

	if (n < 0 || n > (int)(sizeof(p->v) / sizeof(p->v[0])) ||
	    !(p = pending_new(path))) {
		free(own);
		return gd_error_set("cannot write '%s'", path);
	}
	memcpy(p->v, v, (size_t)n * sizeof(*v));
	p->n = n;
	p->own = own;
	return pending_start(p);
}

int bio_write(const char *path, const struct iovec *v, int n)
{
	struct pending *p = pending_new(path);
	int rc;

	if (!p)
		return gd_error_set("out of memory");
	if ((rc = file_write_temp(path, v, n, p->tmp, sizeof(p->tmp), &p->fd))) {
		free(p);
		return rc;
	}
	return pending_start(p);
}

void bio_wait(void)
{
	int i;

	for (i = 0; i < npending; i++) {
		pthread_join(pending[i]->tid, NULL);
		free(pending[i]);
	}
	npending = 0;
}
