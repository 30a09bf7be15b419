#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "err.h"
#include "trust.h"
#include "util.h"
#include "banned.h"

int id_valid(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i]; i++) {
		char c = s[i];
		if (i >= 64)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

int account_name_valid(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (i >= 64 || !(isalnum((unsigned char)c) || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int time_parse_rfc3339(time_t *out, const char *s)
{
	int Y, M, D, h, m, sec = 0, oh, om, sign;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 17)
		return GD_EINVALID;
	if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m))
		return GD_EINVALID;
	p = s + 16;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return GD_EINVALID;
		p += 3;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return GD_EINVALID;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return GD_EINVALID;
	if (*p == 'Z' || *p == 'z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return GD_EINVALID;
		p += 6;
	} else {
		return GD_EINVALID;
	}
	if (*p)
		return GD_EINVALID;
	if (D > days_in_month(Y, M)) /* no Feb 30 */
		return GD_EINVALID;
	t = (time_t)days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 +
	    (sec > 59 ? 59 : sec);
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

void time_format_utc(char out[21], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int time_parse_hhmm(const char *s, int allow_24)
{
	int h, m;

	if (!s || strlen(s) != 5 || s[2] != ':' || digits(s, 2, &h) ||
	    digits(s + 3, 2, &m) || m > 59)
		return -1;
	if (h == 24 && m == 0 && allow_24)
		return 1440;
	if (h > 23)
		return -1;
	return h * 60 + m;
}

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

uint64_t hash_fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

size_t utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, k;
		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return i + 1;
		if (i + n >= len)
			return i + 1;
		for (k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i + 1;
		if (n == 2 && ((c == 0xe0 && p[i + 1] < 0xa0) ||
			       (c == 0xed && p[i + 1] > 0x9f)))
			return i + 1;
		if (n == 3 && ((c == 0xf0 && p[i + 1] < 0x90) ||
			       (c == 0xf4 && p[i + 1] > 0x8f)))
			return i + 1;
		i += n + 1;
	}
	return 0;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void mem_hint_huge(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);

	if (p && b > a)
		madvise((void *)a, b - a, MADV_HUGEPAGE);
}

void *table_calloc(size_t n, size_t size)
{
	const size_t huge = 2u << 20;
	size_t bytes;
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	bytes = n * size;
	if (bytes < huge)
		return calloc(n ? n : 1, size ? size : 1);
	bytes = (bytes + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, bytes))
		return NULL;
	mem_hint_huge(p, bytes);
	memset(p, 0, bytes);
	return p;
}

int str_fmt(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0)
		return gd_error_set("format error");
	if ((size_t)len >= n)
		return gd_error_set("'%.40s...' is longer than %zu bytes", out,
				    n ? n - 1 : 0), GD_EINVALID;
	return 0;
}

void str_fmt_cut(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;
	size_t end;

	if (!n)
		return;
	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0) {
		out[0] = '\0';
		return;
	}
	if ((size_t)len < n)
		return;
	/* cut: drop the last character when the cut left it incomplete */
	end = n - 1; /* out[end] is the NUL */
	while (end > 0 && ((unsigned char)out[end - 1] & 0xc0) == 0x80)
		end--;
	if (end > 0) {
		unsigned char c = (unsigned char)out[end - 1];
		size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (end - 1 + need > n - 1)
			out[end - 1] = '\0';
	}
}

void utf8_truncate(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (!n)
		return;
	if (len >= n) {
		len = n - 1;
		/* back off continuation bytes so no character is cut */
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, s, len);
	out[len] = '\0';
}

int secret_resolve(char *out, size_t n, const char *ref)
{
	return trust_secret_resolve(out, n, ref, NULL);
}

int list_has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	while ((p = strstr(p, tok))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}
