#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "spool.h"
#include "util.h"
#include "banned.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int spool_write(const char *dir, const char *json, size_t len)
{
	char tmpdir[4096], tmp[4200], dst[4200];
	static unsigned long next_seq; /* atomically: a batch's threads spool */
	unsigned long seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
	struct timespec ts;
	int fd, dfd;

	if (len > SPOOL_EVENT_MAX)
		return gd_error_set("event larger than %u bytes", SPOOL_EVENT_MAX);
	snprintf(tmpdir, sizeof(tmpdir), "%s/.tmp", dir);
	if (dir_create(tmpdir))
		return GD_ERROR;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s/%lld.%09ld.%ld.%lu.json", tmpdir,
		 (long long)ts.tv_sec, ts.tv_nsec, (long)getpid(), seq);
	snprintf(dst, sizeof(dst), "%s/%lld.%09ld.%ld.%lu.json", dir,
		 (long long)ts.tv_sec, ts.tv_nsec, (long)getpid(), seq);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return gd_error_set("cannot create '%s': %s", tmp, strerror(errno));
	if (write_all(fd, json, len) || fsync(fd)) {
		close(fd);
		unlink(tmp);
		return gd_error_set("cannot write '%s': %s", tmp, strerror(errno));
	}
	close(fd);
	if (rename(tmp, dst)) {
		unlink(tmp);
		return gd_error_set("cannot move '%s' into the spool: %s", tmp,
				    strerror(errno));
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct spool_file *)a)->name,
		      ((const struct spool_file *)b)->name);
}

int spool_read(struct spool_list *out, const char *dir)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0
			: gd_error_set("cannot read the spool '%s': %s", dir,
				       strerror(errno));
	while ((e = readdir(d))) {
		struct buf b = BUF_INIT(SPOOL_EVENT_MAX);
		char path[4400];
		size_t n = strlen(e->d_name);
		struct spool_file *v;
		if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (file_read(&b, path, SPOOL_EVENT_MAX)) {
			struct stat sb;
			buf_release(&b);
			/* gone meanwhile; too large: listed, for the quarantine */
			if (lstat(path, &sb) || sb.st_size <= (off_t)SPOOL_EVENT_MAX)
				continue;
			b.ptr = strdup("");
			b.len = SPOOL_EVENT_MAX + 1;
			if (!b.ptr) {
				rc = gd_error_set("out of memory");
				break;
			}
		}
		if (!(v = realloc(out->v, (out->n + 1) * sizeof(*v)))) {
			buf_release(&b);
			rc = gd_error_set("out of memory");
			break;
		}
		out->v = v;
		v[out->n].name = strdup(e->d_name);
		v[out->n].len = b.len;
		v[out->n].data = buf_detach(&b);
		out->n++;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	return rc;
}

void spool_list_release(struct spool_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].data);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int spool_remove(const char *dir, const char *name)
{
	char path[4400];

	if (strchr(name, '/'))
		return GD_EINVALID;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) && errno != ENOENT)
		return gd_error_set("cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int spool_retire(const char *dir, const char *name)
{
	char from[4400], ddir[4200], to[4400];

	if (strchr(name, '/') || name[0] == '.')
		return GD_EINVALID;
	snprintf(ddir, sizeof(ddir), "%s/.done", dir);
	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s", ddir, name);
	if (!rename(from, to))
		return 0;
	/* ENOENT: no .done/ yet, or the file went meanwhile */
	if (errno == ENOENT && mkdir(ddir, 0700) && errno != EEXIST)
		return gd_error_set("cannot make '%s': %s", ddir, strerror(errno));
	if (rename(from, to) && errno != ENOENT)
		return gd_error_set("cannot move '%s' to '%s': %s", from, to,
				    strerror(errno));
	return 0;
}

#define SWEEP_THREADS 4
#define SWEEP_MAX 1000000 /* names one sweep takes on */

struct spool_sweep {
	int dfd;
	char **names;
	size_t n;
	size_t next;        /* atomically: the next name to remove */
	size_t removed;     /* atomically */
	int64_t deadline;   /* atomically: CLOCK_MONOTONIC ns, 0 = none yet */
	pthread_t th[SWEEP_THREADS];
	int nth;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *sweep_run(void *arg)
{
	struct spool_sweep *s = arg;

	for (;;) {
		int64_t dl = __atomic_load_n(&s->deadline, __ATOMIC_RELAXED);
		size_t i;
		if (dl && mono_ns() >= dl)
			break;
		i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
		if (i >= s->n)
			break;
		if (!unlinkat(s->dfd, s->names[i], 0))
			__atomic_fetch_add(&s->removed, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void sweep_free(struct spool_sweep *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	if (s->dfd >= 0)
		close(s->dfd);
	free(s);
}

struct spool_sweep *spool_sweep_start(const char *dir)
{
	char ddir[4200];
	struct spool_sweep *s;
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int fd;

	snprintf(ddir, sizeof(ddir), "%s/.done", dir);
	if ((fd = open(ddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	if (!(s = calloc(1, sizeof(*s)))) {
		close(fd);
		return NULL;
	}
	s->dfd = fd;
	if ((fd = dup(s->dfd)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		sweep_free(s);
		return NULL;
	}
	while (s->n < SWEEP_MAX && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (s->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			char **v = realloc(s->names, nc * sizeof(*v));
			if (!v)
				break;
			s->names = v;
			cap = nc;
		}
		if (!(s->names[s->n] = strdup(e->d_name)))
			break;
		s->n++;
	}
	closedir(d);
	if (!s->n) {
		sweep_free(s);
		return NULL;
	}
	for (s->nth = 0; s->nth < SWEEP_THREADS && (size_t)s->nth < s->n; s->nth++)
		if (pthread_create(&s->th[s->nth], NULL, sweep_run, s))
			break;
	if (!s->nth) {
		sweep_free(s);
		return NULL;
	}
	return s;
}

size_t spool_sweep_stop(struct spool_sweep *s, long grace_ms)
{
	size_t removed;
	int i;

	if (!s)
		return 0;
	__atomic_store_n(&s->deadline, mono_ns() + (int64_t)(grace_ms > 0 ? grace_ms
			 : 0) * 1000000 + 1, __ATOMIC_RELAXED);
	for (i = 0; i < s->nth; i++)
		pthread_join(s->th[i], NULL);
	removed = __atomic_load_n(&s->removed, __ATOMIC_RELAXED);
	sweep_free(s);
	return removed;
}

int spool_quarantine(const char *dir, const char *name)
{
	char from[4400], qdir[4200], to[4400];

	if (strchr(name, '/') || name[0] == '.')
		return GD_EINVALID;
	snprintf(qdir, sizeof(qdir), "%s/quarantine", dir);
	if (mkdir(qdir, 0700) && errno != EEXIST)
		return gd_error_set("cannot make '%s': %s", qdir, strerror(errno));
	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s", qdir, name);
	if (rename(from, to) && errno != ENOENT)
		return gd_error_set("cannot move '%s' to '%s': %s", from, to,
				    strerror(errno));
	return 0;
}

int spool_default(char *out, size_t n, const char *gitdir)
{
	size_t l = strlen(gitdir);

	snprintf(out, n, "%s%sgitdial/spool", gitdir,
		 l && gitdir[l - 1] == '/' ? "" : "/");
	return 0;
}
