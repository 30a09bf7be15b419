/* Whole reads, atomic writes, maps and mkdir -p (fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "banned.h"

int file_read(struct buf *out, const char *path, size_t max)
{
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		/* size the buffer once; a file that is too large fails here */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			if ((size_t)st.st_size > out->max) {
				close(fd);
				return gd_error_set("'%s' is larger than %zu bytes", path,
						    out->max), GD_EINVALID;
			}
			if (buf_put(out, "", 0) == 0 && out->alloc < (size_t)st.st_size + 1) {
				char *p = realloc(out->ptr, (size_t)st.st_size + 1);
				if (p) {
					out->ptr = p;
					out->alloc = (size_t)st.st_size + 1;
				}
			}
		}
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return gd_error_set("'%s' does not exist", path),
			       GD_ENOTFOUND;
		return gd_error_set("cannot open '%s': %s", path, strerror(errno));
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if ((rc = buf_put(out, chunk, (size_t)n))) {
			gd_error_set("'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	if (n < 0 && !rc)
		rc = gd_error_set("cannot read '%s': %s", path, strerror(errno));
	close(fd);
	if (!rc && !out->ptr)
		rc = buf_put(out, "", 0);
	return rc;
}

struct file_mapping {
	void *addr;
	size_t len;
};

int file_map(const char *path, const char **data, size_t *len, void **token)
{
	struct file_mapping *m = NULL;
	struct stat st;
	int fd, rc = 0;

	*data = NULL;
	*len = 0;
	*token = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT
			? (gd_error_set("'%s' does not exist", path), GD_ENOTFOUND)
			: gd_error_set("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = gd_error_set("'%s' is not a regular file", path);
		goto cleanup;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		rc = gd_error_set("out of memory");
		goto cleanup;
	}
	m->len = (size_t)st.st_size;
	if (m->len) {
		/*
		 * Populated in one go (a fault per page costs more), read-only
		 * while populating (a writable private mapping would be copied
		 * page by page), then writable: what a caller changes in place
		 * is its own copy of that page, the file never sees it.
		 */
		m->addr = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
			       fd, 0);
		if (m->addr != MAP_FAILED &&
		    mprotect(m->addr, m->len, PROT_READ | PROT_WRITE)) {
			munmap(m->addr, m->len);
			m->addr = MAP_FAILED;
		}
		if (m->addr == MAP_FAILED) {
			rc = gd_error_set("cannot map '%s': %s", path, strerror(errno));
			free(m);
			m = NULL;
			goto cleanup;
		}
	}
	*data = m->len ? m->addr : "";
	*len = m->len;
	*token = m;
cleanup:
	close(fd);
	return rc;
}

void file_unmap(void *token)
{
	struct file_mapping *m = token;

	if (!m)
		return;
	if (m->len)
		munmap(m->addr, m->len);
	free(m);
}

/* Writes the n pieces of v to fd whole (short writes, EINTR); 0 or errno. */
static int write_all(int fd, const struct iovec *v, int n)
{
	struct iovec left[64];
	int k;

	memcpy(left, v, (size_t)n * sizeof(*v));
	for (k = 0; k < n;) {
		ssize_t w;
		if (!left[k].iov_len) {
			k++;
			continue;
		}
		w = writev(fd, left + k, n - k);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		/* a short write: step over what went out */
		while (k < n && (size_t)w >= left[k].iov_len) {
			w -= (ssize_t)left[k].iov_len;
			k++;
		}
		if (k < n) {
			left[k].iov_base = (char *)left[k].iov_base + w;
			left[k].iov_len -= (size_t)w;
		}
	}
	return 0;
}

int file_write_temp(const char *path, const struct iovec *v, int n,
		    char *tmp, size_t tmp_size, int *fd)
{
	static _Atomic unsigned long seq;
	int e;

	*fd = -1;
	if (n < 0 || n > 64)
		return gd_error_set("too many pieces for '%s'", path);
	if (snprintf(tmp, tmp_size, "%s.tmp.%ld.%lu", path, (long)getpid(),
		     seq++) >= (int)tmp_size)
		return gd_error_set("path too long: '%s'", path);
	*fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0)
		return gd_error_set("cannot create '%s': %s", tmp, strerror(errno));
	if ((e = write_all(*fd, v, n))) {
		gd_error_set("cannot write '%s': %s", tmp, strerror(e));
		close(*fd);
		*fd = -1;
		unlink(tmp);
		return GD_ERROR;
	}
	return 0;
}

int file_write_new(const char *path, const void *data, size_t len)
{
	struct iovec v = { (void *)data, len };
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), e;

	if (fd < 0)
		return gd_error_set("cannot create '%s': %s", path, strerror(errno));
	if ((e = write_all(fd, &v, 1)) || close(fd)) {
		gd_error_set("cannot write '%s': %s", path, strerror(e ? e : errno));
		if (e)
			close(fd);
		unlink(path);
		return GD_ERROR;
	}
	return 0;
}

int file_write_commit(int fd, const char *tmp, const char *path)
{
	char dir[4096];
	int dfd;

	if (fsync(fd) || close(fd)) {
		unlink(tmp);
		return gd_error_set("cannot sync '%s': %s", tmp, strerror(errno));
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return gd_error_set("cannot rename to '%s': %s", path,
				    strerror(errno));
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int file_write_atomic_buf(const char *path, const struct buf *b)
{
	int rc = buf_check(b);

	if (rc) {
		gd_error_prefix("'%s'", path);
		return rc;
	}
	return file_write_atomic(path, b->ptr ? b->ptr : "", b->len);
}

int file_write_atomic_iov(const char *path, const struct iovec *v, int n)
{
	char tmp[4096];
	int fd, rc;

	if ((rc = file_write_temp(path, v, n, tmp, sizeof(tmp), &fd)))
		return rc;
	return file_write_commit(fd, tmp, path);
}

int file_write_atomic(const char *path, const void *data, size_t len)
{
	struct iovec v;

	v.iov_base = (void *)data;
	v.iov_len = len;
	return file_write_atomic_iov(path, &v, 1);
}

int dir_create(const char *path)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(tmp))
		return gd_error_set("path too long: '%s'", path);
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == '\0') {
			char c = tmp[i];
			tmp[i] = '\0';
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return gd_error_set("cannot create directory '%s': %s",
						    tmp, strerror(errno));
			tmp[i] = c;
		}
	}
	return 0;
}
