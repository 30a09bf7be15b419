#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "folder.h"
#include "util.h"
#include "banned.h"

#define MARKER_MAX 4096

const char *const folder_tops[] = { "campaigns", "archived", "deleted", NULL };

int folder_exists(struct src *s, const char *top, const char *id)
{
	struct src_files f = { NULL, 0 };
	char dir[128];
	int found;

	snprintf(dir, sizeof(dir), "%s/%s", top, id);
	found = !s->files(s, dir, "", &f) && f.n > 0;
	src_files_release(&f);
	return found;
}

/* Copies (and with remove, moves) every file under from/ to to/. */
static int transfer(struct src *s, struct change *ch, const char *from,
		    const char *to, const char *skip, int remove)
{
	struct src_files f = { NULL, 0 };
	size_t i, fl = strlen(from);
	int rc;

	if ((rc = s->files(s, from, "", &f)))
		goto cleanup;
	if (!f.n) {
		rc = gd_error_set("'%s' holds no file", from);
		rc = GD_ENOTFOUND;
		goto cleanup;
	}
	for (i = 0; !rc && i < f.n; i++) {
		const char *rel = f.v[i].path + fl + 1, *name = strrchr(rel, '/');
		const char *data;
		char path[1024];
		size_t len;
		void *token = NULL;
		name = name ? name + 1 : rel;
		if (!skip || strcmp(name, skip) || strchr(rel, '/')) {
			snprintf(path, sizeof(path), "%s/%s", to, rel);
			if (!(rc = s->map(s, &f.v[i], &data, &len, &token))) {
				rc = change_add(ch, path, data, len);
				s->unmap(s, token);
			}
		}
		if (!rc && remove)
			rc = change_remove(ch, f.v[i].path);
	}
cleanup:
	src_files_release(&f);
	return rc;
}

int folder_move(struct src *s, struct change *ch, const char *from,
		const char *to, const char *skip)
{
	return transfer(s, ch, from, to, skip, 1);
}

int folder_copy(struct src *s, struct change *ch, const char *from,
		const char *to, const char *skip)
{
	return transfer(s, ch, from, to, skip, 0);
}

int deleted_marker_write(struct buf *out, time_t when, const char *by,
			 const char *from)
{
	char t[21];

	time_format_utc(t, when);
	if (buf_printf(out, "{\"v\":1,\"deleted_at\":\"%s\",\"by\":", t) ||
	    buf_put_json_string(out, by) || buf_puts(out, ",\"from\":") ||
	    buf_put_json_string(out, from) || buf_puts(out, "}\n"))
		return gd_error_set("out of memory");
	return 0;
}

int deleted_marker_parse(const char *text, size_t len, time_t *when,
			 char from[16])
{
	cJSON *o = cJSON_ParseWithLength(text, len);
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "deleted_at");
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(o, "from");
	int rc = GD_EINVALID;

	if (cJSON_IsString(at) && cJSON_IsString(fr) &&
	    !time_parse_rfc3339(when, at->valuestring) &&
	    (!strcmp(fr->valuestring, "campaigns") ||
	     !strcmp(fr->valuestring, "archived"))) {
		snprintf(from, 16, "%s", fr->valuestring);
		rc = 0;
	}
	cJSON_Delete(o);
	return rc;
}

int folder_purge_deleted(struct src *s, time_t now, struct change *ch,
			 struct buf *ids)
{
	struct names n = { NULL, 0 };
	size_t i;
	int rc = s->list(s, "deleted", &n);

	if (rc == GD_ENOTFOUND) {
		rc = 0;
		goto cleanup;
	}
	for (i = 0; !rc && i < n.n; i++) {
		struct buf text = BUF_INIT(MARKER_MAX);
		struct src_files f = { NULL, 0 };
		char path[256], dir[128], from[16];
		size_t l = strlen(n.v[i]), j;
		time_t when;
		if (!l || n.v[i][l - 1] != '/')
			continue;
		snprintf(dir, sizeof(dir), "deleted/%.*s", (int)(l - 1), n.v[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, DELETED_MARKER);
		if (!s->read(s, path, &text, MARKER_MAX) &&
		    !deleted_marker_parse(text.ptr, text.len, &when, from) &&
		    now - when >= FOLDER_RETENTION_S &&
		    !(rc = s->files(s, dir, "", &f))) {
			for (j = 0; !rc && j < f.n; j++)
				rc = change_remove(ch, f.v[j].path);
			if (!rc)
				rc = buf_printf(ids, "%s%s", ids->len ? ", " : "",
						dir + 8);
		}
		src_files_release(&f);
		buf_release(&text);
	}
cleanup:
	names_release(&n);
	return rc;
}
