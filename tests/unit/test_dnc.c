/*
 * Unit tests for the do-not-call list, read through a directory source
 * (src_init_dir) over a temporary work tree: latest entry wins, bad lines
 * are reported with file and line and skipped, the rest still count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "dnc.h"
#include "err.h"
#include "phone.h"
#include "store.h"
#include "util.h"

#include "tap.h"

static char root[256];

static void put(const char *name, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void puts_(const char *name, const char *text)
{
	put(name, text, strlen(text));
}

static void rm(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	unlink(path);
}

static struct dnc *L;
static struct diags D;

static int load(void)
{
	struct src s;
	int rc;

	dnc_free(L);
	L = NULL;
	diags_release(&D);
	src_init_dir(&s, root);
	rc = dnc_load(&L, &s, &D);
	return rc;
}

static int blocked(const char *phone)
{
	return dnc_contains(L, phone_key(phone));
}

static int has(const char *file, unsigned long line, const char *field,
	       const char *msg)
{
	size_t i;

	for (i = 0; i < D.n; i++)
		if (!strcmp(D.v[i].file, file) && D.v[i].line == line &&
		    (field ? D.v[i].field && !strcmp(D.v[i].field, field)
			   : !D.v[i].field) &&
		    strstr(D.v[i].msg, msg))
			return 1;
	for (i = 0; i < D.n; i++)
		printf("#   %s:%lu [%s] %s\n", D.v[i].file, D.v[i].line,
		       D.v[i].field ? D.v[i].field : "-", D.v[i].msg);
	return 0;
}

#define E(ts, phone, action) \
	"{\"v\":1,\"ts\":\"" ts "\",\"phone\":\"" phone "\",\"action\":\"" action \
	"\",\"reason\":\"opt_out\",\"source\":\"agent\"}\n"

int main(void)
{
	char dir[512];
	struct buf b = BUF_INIT(4096);

	snprintf(root, sizeof(root), "%s/gitdial-dnc.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}

	CHECK(load() == 0 && L && L->n == 0 && D.n == 0,
	      "no dnc/ folder: an empty list");
	CHECK(!dnc_contains(NULL, 1), "dnc_contains(NULL) is false");

	snprintf(dir, sizeof(dir), "%s/dnc", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/dnc/sub.jsonl", root);
	mkdir(dir, 0755); /* a directory with the right ending is ignored */
	puts_("dnc/README.md", "not a list\n");
	puts_("dnc/2026.jsonl",
	      E("2026-01-01T00:00:00Z", "+12125550100", "add")
	      E("2026-01-02T00:00:00Z", "+12125550101", "add")
	      E("2026-01-03T00:00:00Z", "+12125550101", "remove")
	      E("2026-01-02T00:00:00Z", "+12125550102", "remove")
	      E("2026-01-03T00:00:00Z", "+12125550102", "add")
	      E("2026-01-04T00:00:00Z", "+12125550103", "add")
	      E("2026-01-04T00:00:00Z", "+12125550103", "remove")
	      "\n"
	      E("2026-01-05T00:00:00+03:00", "+966500000100", "add"));
	puts_("dnc/2027.jsonl",
	      E("2027-01-01T00:00:00Z", "+12125550100", "remove")
	      E("2027-01-01T00:00:00Z", "+14155550100", "add"));
	CHECK(load() == 0 && D.n == 0, "two files load without problems");
	CHECK(!blocked("+12125550100"), "a later file's remove wins");
	CHECK(!blocked("+12125550101"), "add then remove: not blocked");
	CHECK(blocked("+12125550102"), "remove then add: blocked");
	CHECK(!blocked("+12125550103"), "same ts: the later line wins");
	CHECK(blocked("+966500000100") && blocked("+14155550100"), "plain adds");
	CHECK(!blocked("+19995550100"), "an unlisted number");
	CHECK(L->entries == 10 && L->n == 3, "entries %zu, blocked %zu", L->entries, L->n);

	/* bad lines: reported with file, line and field, the rest still load */
	puts_("dnc/2027.jsonl",
	      "not json\n"
	      "{\"v\":1,\"ts\":\"2027-01-01T00:00:00Z\",\"phone\":\"212-555-0100\",\"action\":\"add\"}\n"
	      "{\"v\":1,\"ts\":\"2027-01-01T00:00:00Z\",\"phone\":\"+12125550104\",\"action\":\"delete\"}\n"
	      "{\"v\":1,\"phone\":\"+12125550105\",\"action\":\"add\"}\n"
	      "{\"v\":1,\"ts\":\"2027-02-30T00:00:00Z\",\"phone\":\"+12125550106\",\"action\":\"add\"}\n"
	      E("2027-01-01T00:00:00Z", "+12125550107", "add")
	      "{\"v\":1,\"ts\":\"2027-01-01T00:00:00Z\",\"phone\":\"+12125550108\",\"action\":\"add\"}\r\n");
	CHECK(load() == 0, "bad lines do not fail the load");
	CHECK(D.errors == 5, "five problems (%zu)", D.errors);
	CHECK(has("dnc/2027.jsonl", 1, NULL, "not a JSON object"), "line 1: not JSON");
	CHECK(has("dnc/2027.jsonl", 2, "phone", "E.164"), "line 2: phone");
	CHECK(has("dnc/2027.jsonl", 3, "action", "\"add\" or \"remove\""), "line 3: action");
	CHECK(has("dnc/2027.jsonl", 4, "ts", "RFC 3339"), "line 4: no ts");
	CHECK(has("dnc/2027.jsonl", 5, "ts", "RFC 3339"), "line 5: Feb 30");
	CHECK(blocked("+12125550107") && blocked("+12125550108") &&
	      !blocked("+12125550104") && !blocked("+12125550106"),
	      "good lines after bad ones count, CRLF too");
	CHECK(blocked("+12125550100"), "the 2026 add holds once the 2027 remove is gone");

	/* a NUL byte must not hide the entries after it */
	{
		static const char nul[] =
			"{\"v\":1,\"ts\":\"2027-01-01T00:00:00Z\",\"phone\":\"+12125550109\","
			"\"action\":\"add\"}\0junk\n"
			"{\"v\":1,\"ts\":\"2027-01-01T00:00:00Z\",\"phone\":\"+12125550110\","
			"\"action\":\"add\"}\n";
		rm("dnc/2027.jsonl");
		put("dnc/2027.jsonl", nul, sizeof(nul) - 1);
		CHECK(load() == 0 && blocked("+12125550109"),
		      "a line with a NUL byte: the list still loads");
		CHECK(blocked("+12125550110"),
		      "the entry after a NUL byte still counts");
	}

	/* dnc_entry writes a line dnc_load reads back */
	rm("dnc/2027.jsonl");
	CHECK(dnc_entry(&b, 1798761600, "+12125550111", 1, "said \"stop\"", "agent") == 0,
	      "dnc_entry");
	CHECK(b.ptr && b.len && b.ptr[b.len - 1] == '\n' &&
	      strstr(b.ptr, "\"action\":\"add\"") && strstr(b.ptr, "said \\\"stop\\\""),
	      "dnc_entry writes one escaped JSON line");
	CHECK(dnc_entry(&b, 1798761601, "+12125550111", 0, NULL, NULL) == 0 &&
	      dnc_entry(&b, 1798761602, "+12125550112", 1, "x", "y") == 0,
	      "dnc_entry appends a removal and an addition");
	put("dnc/2028.jsonl", b.ptr, b.len);
	CHECK(load() == 0 && D.n == 0 && !blocked("+12125550111") &&
	      blocked("+12125550112"), "dnc_entry lines round-trip");
	{
		struct src s;
		struct diags d2 = { 0 };
		src_init_dir(&s, root);
		dnc_validate(&s, &d2);
		CHECK(d2.n == 0, "dnc_validate on good files is quiet");
		diags_release(&d2);
	}

	buf_release(&b);
	dnc_free(L);
	diags_release(&D);
	dnc_free(NULL);
	/* clean up the temporary tree */
	rm("dnc/2026.jsonl");
	rm("dnc/2028.jsonl");
	rm("dnc/README.md");
	snprintf(dir, sizeof(dir), "%s/dnc/sub.jsonl", root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/dnc", root);
	rmdir(dir);
	rmdir(root);
	return finish();
}
