/*
 * struct buf: the cap, the default cap of a zeroed buffer, and the
 * sticky failure that consumers refuse (a failed append must never
 * become a silently shorter file or commit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "store.h"
#include "tap.h"
#include "util.h"

static void test_default_cap(void)
{
	struct buf b = { 0 };
	static const char big[1];

	CHECK(buf_puts(&b, "hello") == 0 && buf_printf(&b, " %d", 42) == 0 &&
	      b.ptr && !strcmp(b.ptr, "hello 42") && !buf_failed(&b),
	      "a zero-initialised buffer accepts appends");
	/* refused before any allocation or copy: big is never read past */
	CHECK(buf_put(&b, big, BUF_MAX_DEFAULT) == GD_EINVALID,
	      "a zero-initialised buffer still has a cap (BUF_MAX_DEFAULT)");
	CHECK(buf_failed(&b) == GD_EINVALID && !strcmp(b.ptr, "hello 42"),
	      "passing the default cap fails and keeps what was there");
	buf_release(&b);
	CHECK(!b.ptr && !b.len && !buf_failed(&b), "release forgets it all");
}

static void test_sticky(void)
{
	struct buf b = BUF_INIT(8);
	char *p;
	int rc;

	CHECK(buf_puts(&b, "12345") == 0 && !buf_failed(&b) && !buf_check(&b),
	      "appends within the cap succeed");
	CHECK(buf_puts(&b, "6789") == GD_EINVALID, "an append past the cap fails");
	CHECK(buf_failed(&b) == GD_EINVALID && b.len == 5,
	      "the failure is remembered; the contents are not cut short");
	CHECK(buf_putc(&b, 'x') == GD_EINVALID &&
	      buf_puts(&b, "y") == GD_EINVALID &&
	      buf_printf(&b, "%d", 1) == GD_EINVALID &&
	      buf_put_json_string(&b, "") == GD_EINVALID &&
	      buf_put(&b, "", 0) == GD_EINVALID,
	      "every later append, even one that would fit, fails the same way");
	CHECK(b.len == 5 && !strcmp(b.ptr, "12345"),
	      "and appends nothing: no line after a lost one");
	gd_error_clear();
	rc = buf_check(&b);
	CHECK(rc == GD_EINVALID && strstr(gd_error_last(), "refusing") &&
	      strstr(gd_error_last(), "8 bytes"),
	      "buf_check refuses it with a message: %s", gd_error_last());
	p = buf_detach(&b);
	CHECK(!p && !b.ptr && !buf_failed(&b),
	      "a failed buffer detaches as NULL (nothing half-built escapes)");
	free(p);

	buf_init(&b, 4);
	CHECK(buf_printf(&b, "%s", "too long") == GD_EINVALID && buf_failed(&b),
	      "buf_printf past the cap fails sticky too");
	buf_reset(&b);
	CHECK(!buf_failed(&b) && buf_puts(&b, "ok") == 0 && !strcmp(b.ptr, "ok"),
	      "buf_reset empties the buffer and forgets the failure");
	buf_release(&b);
}

static void test_consumers(void)
{
	struct buf b = BUF_INIT(4);
	struct change ch = { 0 };
	char dir[] = "/tmp/gd-test-buf-XXXXXX", path[64];
	struct stat sb;
	int rc;

	CHECK(buf_puts(&b, "abc") == 0 && change_add_buf(&ch, "x/a", &b) == 0 &&
	      ch.n == 1 && ch.v[0].len == 3, "change_add_buf takes a good buffer");
	buf_puts(&b, "def");
	rc = change_add_buf(&ch, "x/b", &b);
	CHECK(rc == GD_EINVALID && ch.n == 1 &&
	      strstr(gd_error_last(), "x/b"),
	      "change_add_buf refuses a failed one, naming the path: %s",
	      gd_error_last());
	change_release(&ch);
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		buf_release(&b);
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(file_write_atomic_buf(path, &b) == GD_EINVALID &&
	      stat(path, &sb) != 0,
	      "file_write_atomic_buf refuses a failed buffer; no file appears");
	buf_reset(&b);
	CHECK(buf_puts(&b, "ok") == 0 && file_write_atomic_buf(path, &b) == 0 &&
	      stat(path, &sb) == 0 && sb.st_size == 2,
	      "and writes a good one");
	unlink(path);
	rmdir(dir);
	buf_release(&b);
}

int main(void)
{
	test_default_cap();
	test_sticky();
	test_consumers();
	return finish();
}
