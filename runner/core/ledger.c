#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ledger.h"
#include "util.h"
#include "banned.h"

int ledger_files(struct src_files *out, struct src *s, const char *id)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "outcomes/%s", id);
	return s->files(s, dir, ".jsonl", out);
}

/*
 * cJSON allocates every node and string of a line separately; a log of
 * millions of lines spent a fifth of its replay in malloc and free. While
 * replaying, nodes come from a bump arena that is reset after each line
 * (anything larger than the arena falls back to malloc).
 */
static struct {
	char *base;
	size_t cap, used;
} arena;

static void *arena_malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (arena.base && arena.used + n <= arena.cap) {
		void *p = arena.base + arena.used;
		arena.used += n;
		return p;
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if (arena.base && (char *)p >= arena.base && (char *)p < arena.base + arena.cap)
		return;
	free(p);
}

int ledger_apply(struct cstate *st, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	cJSON_Hooks hooks = { arena_malloc, arena_free };

	if (!arena.base) {
		arena.cap = 256 * 1024;
		arena.base = malloc(arena.cap);
		if (!arena.base)
			arena.cap = 0;
	}
	cJSON_InitHooks(&hooks);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n)
			state_apply(st, p, n);
		arena.used = 0;
		p += n + 1;
	}
	cJSON_InitHooks(NULL);
	return 0;
}

int ledger_replay_files(struct cstate *st, struct src *s,
			const struct src_files *files, size_t from)
{
	size_t i;
	int rc = 0;

	for (i = from; !rc && i < files->n; i++) {
		const char *data;
		size_t len;
		void *token = NULL;
		if ((rc = s->map(s, &files->v[i], &data, &len, &token)))
			break;
		if (len > LEDGER_FILE_MAX)
			rc = gd_error_set("'%s' is larger than %u bytes",
					  files->v[i].path, LEDGER_FILE_MAX);
		else
			ledger_apply(st, data, len);
		s->unmap(s, token);
	}
	return rc;
}

int ledger_replay(struct cstate *st, struct src *s, const char *id)
{
	struct src_files files;
	int rc = ledger_files(&files, s, id);

	if (!rc)
		rc = ledger_replay_files(st, s, &files, 0);
	src_files_release(&files);
	return rc;
}

void ledger_path(char *out, size_t n, const char *id, time_t now, const char *tag)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	snprintf(out, n, "outcomes/%s/%04d/%02d/%02d/T%02d%02d%02dZ-%s.jsonl", id,
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, tag);
}

static int head(struct buf *out, time_t ts, const char *campaign, const char *ev)
{
	char t[21];

	time_format_utc(t, ts);
	return buf_printf(out, "{\"v\":1,\"ts\":\"%s\",\"campaign\":\"%s\","
			  "\"event\":\"%s\"", t, campaign, ev);
}

static int field(struct buf *out, const char *key, const char *val)
{
	int rc = buf_printf(out, ",\"%s\":", key);

	if (rc)
		return rc;
	return val ? buf_put_json_string(out, val) : buf_puts(out, "null");
}

int ev_dispatched(struct buf *out, time_t ts, const char *campaign,
		  const char *attempt_id, const char *phone, unsigned long row,
		  int attempt, const char *account, const char *caller_id)
{
	int rc = head(out, ts, campaign, "dispatched");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "phone", phone);
	rc = rc ? rc : buf_printf(out, ",\"row\":%lu,\"attempt\":%d", row, attempt);
	rc = rc ? rc : field(out, "account", account);
	rc = rc ? rc : field(out, "caller_id", caller_id);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_placed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id)
{
	int rc = head(out, ts, campaign, "placed");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "call_id", call_id);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_failed(struct buf *out, time_t ts, const char *campaign,
	      const char *attempt_id, const char *call_id, const char *kind,
	      const char *code, const char *message)
{
	int rc = head(out, ts, campaign, "outcome");

	rc = rc ? rc : field(out, "attempt_id", attempt_id);
	rc = rc ? rc : field(out, "call_id", call_id);
	rc = rc ? rc : buf_puts(out, ",\"outcome\":\"failed\",\"duration_s\":0,"
				"\"connected\":false,\"answered\":false,\"error\":{");
	rc = rc ? rc : buf_puts(out, "\"kind\":");
	rc = rc ? rc : buf_put_json_string(out, kind);
	rc = rc ? rc : field(out, "code", code ? code : "");
	rc = rc ? rc : field(out, "message", message ? message : "");
	return rc ? rc : buf_puts(out, "}}\n");
}

int ev_skipped(struct buf *out, time_t ts, const char *campaign,
	       const char *phone, unsigned long row, const char *reason)
{
	int rc = head(out, ts, campaign, "skipped");

	rc = rc ? rc : field(out, "phone", phone && *phone ? phone : NULL);
	rc = rc ? rc : buf_printf(out, ",\"row\":%lu", row);
	rc = rc ? rc : field(out, "reason", reason);
	return rc ? rc : buf_puts(out, "}\n");
}

int ev_status(struct buf *out, time_t ts, const char *campaign,
	      const char *status, const char *reason)
{
	int rc = head(out, ts, campaign, "status");

	rc = rc ? rc : field(out, "status", status);
	rc = rc ? rc : field(out, "reason", reason ? reason : "");
	return rc ? rc : buf_puts(out, "}\n");
}

void attempt_id_make(char *out, size_t n, const char *campaign, uint64_t key,
		     int attempt)
{
	snprintf(out, n, "%s.%" PRIu64 ".%d", campaign, key, attempt);
}
