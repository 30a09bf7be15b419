#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
