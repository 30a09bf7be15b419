#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonx.h"
#include "util.h"
#include "banned.h"

#define JSON_MAX_DEPTH 64

static unsigned long line_at(const char *text, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Whitespace as cJSON skips it: every byte up to and including space. */
static size_t skip_ws(const char *t, size_t n, size_t i)
{
	while (i < n && (unsigned char)t[i] <= ' ')
		i++;
	return i;
}

/* Skips a string starting at the quote; returns the index after it. */
static size_t skip_string(const char *t, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t skip_value(const char *t, size_t n, size_t i, int depth)
{
	i = skip_ws(t, n, i);
	if (i >= n || depth > JSON_MAX_DEPTH)
		return n;
	if (t[i] == '"')
		return skip_string(t, n, i);
	if (t[i] == '{' || t[i] == '[') {
		char close = t[i] == '{' ? '}' : ']';
		i++;
		for (;;) {
			i = skip_ws(t, n, i);
			if (i >= n)
				return n;
			if (t[i] == close)
				return i + 1;
			if (t[i] == ',') {
				i++;
				continue;
			}
			{
				size_t before = i;
				if (close == '}') {
					i = skip_string(t, n, i);
					i = skip_ws(t, n, i);
					if (i < n && t[i] == ':')
						i++;
				}
				i = skip_value(t, n, i, depth + 1);
				if (i == before)
					i++; /* malformed: always make progress */
			}
		}
	}
	while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' &&
	       (unsigned char)t[i] > ' ')
		i++;
	return i;
}

static size_t bom(const char *t, size_t n)
{
	return n >= 3 && !memcmp(t, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* Finds the offset of the value at path, or (size_t)-1. */
static size_t locate(const char *t, size_t n, const char *path)
{
	size_t i = skip_ws(t, n, bom(t, n));
	const char *p = path;

	while (*p) {
		char seg[256];
		size_t sl = 0;
		if (*p == '.')
			p++;
		if (*p == '[') {
			long idx = strtol(p + 1, NULL, 10), k = 0;
			p = strchr(p, ']');
			if (!p)
				return (size_t)-1;
			p++;
			if (i >= n || t[i] != '[')
				return (size_t)-1;
			i++;
			for (;;) {
				i = skip_ws(t, n, i);
				if (i >= n || t[i] == ']')
					return (size_t)-1;
				if (k == idx)
					break;
				{
					size_t before = i;
					i = skip_value(t, n, i, 0);
					if (i == before)
						i++;
				}
				i = skip_ws(t, n, i);
				if (i < n && t[i] == ',')
					i++;
				k++;
			}
			continue;
		}
		while (*p && *p != '.' && *p != '[' && sl < sizeof(seg) - 1)
			seg[sl++] = *p++;
		seg[sl] = '\0';
		if (i >= n || t[i] != '{')
			return (size_t)-1;
		i++;
		for (;;) {
			size_t ks, ke;
			i = skip_ws(t, n, i);
			if (i >= n || t[i] == '}')
				return (size_t)-1;
			if (t[i] == ',') {
				i++;
				continue;
			}
			if (t[i] != '"')
				return (size_t)-1;
			ks = i + 1;
			i = skip_string(t, n, i);
			ke = i - 1;
			i = skip_ws(t, n, i);
			if (i < n && t[i] == ':')
				i++;
			i = skip_ws(t, n, i);
			if (ke - ks == sl && !memcmp(t + ks, seg, sl))
				break;
			{
				size_t before = i;
				i = skip_value(t, n, i, 0);
				if (i == before)
					i++;
			}
		}
	}
	return i;
}

unsigned long json_line(const char *text, size_t len, const char *path)
{
	size_t off;

	if (!path || !*path)
		return 1;
	off = locate(text, len, path);
	if (off == (size_t)-1) {
		/* the parent is the best place for a missing member */
		char parent[512];
		char *dot;
		snprintf(parent, sizeof(parent), "%s", path);
		dot = strrchr(parent, '.');
		if (!dot)
			return 1;
		*dot = '\0';
		return json_line(text, len, parent);
	}
	return line_at(text, off);
}

void jctx_error(struct jctx *c, const char *path, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	if (c->n_errors++ >= JCTX_ERRORS_MAX) {
		if (c->n_errors == JCTX_ERRORS_MAX + 1)
			diags_add(c->d, DIAG_ERROR, c->file, 0, NULL, "more than %d "
				  "problems in this file; the rest are not listed",
				  JCTX_ERRORS_MAX);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diags_add(c->d, DIAG_ERROR, c->file, json_line(c->text, c->len, path),
		  path && *path ? path : NULL, "%s", msg);
}

int json_item_lines(const char *text, size_t len, const char *path,
		    unsigned long *lines, size_t n)
{
	size_t i = locate(text, len, path), k = 0, at;
	unsigned long line;

	if (i == (size_t)-1 || i >= len || text[i] != '[')
		return -1;
	line = line_at(text, i);
	for (k = 0; k < n; k++)
		lines[k] = line;
	at = i++;
	for (k = 0; k < n;) {
		size_t before;
		i = skip_ws(text, len, i);
		if (i >= len || text[i] == ']')
			break;
		if (text[i] == ',') {
			i++;
			continue;
		}
		for (; at < i; at++) /* the lines counted so far, once */
			line += text[at] == '\n';
		lines[k++] = line;
		before = i;
		i = skip_value(text, len, i, 0);
		if (i == before)
			i++;
	}
	return 0;
}

const char *jpath(char *out, size_t n, const char *prefix, const char *key)
{
	if (prefix && *prefix)
		snprintf(out, n, "%s.%s", prefix, key);
	else
		snprintf(out, n, "%s", key);
	return out;
}

static int find_dup(const cJSON *node, const char *prefix, char *out,
		    size_t n, int depth)
{
	const cJSON *a, *b;
	char path[512];
	int i = 0;

	if (depth > JSON_MAX_DEPTH)
		return 0;
	if (cJSON_IsObject(node)) {
		for (a = node->child; a; a = a->next) {
			for (b = a->next; b; b = b->next) {
				if (a->string && b->string &&
				    !strcmp(a->string, b->string)) {
					jpath(out, n, prefix, a->string);
					return 1;
				}
			}
			if (find_dup(a, jpath(path, sizeof(path), prefix,
					      a->string ? a->string : ""),
				     out, n, depth + 1))
				return 1;
		}
	} else if (cJSON_IsArray(node)) {
		for (a = node->child; a; a = a->next, i++) {
			snprintf(path, sizeof(path), "%s[%d]", prefix, i);
			if (find_dup(a, path, out, n, depth + 1))
				return 1;
		}
	}
	return 0;
}

int json_load(cJSON **out, struct jctx *c)
{
	const char *end = NULL;
	char dup[512];
	cJSON *root;
	size_t bad;

	*out = NULL;
	if (c->len == 0) {
		diags_add(c->d, DIAG_ERROR, c->file, 0, NULL,
			  "file is empty (expected a JSON object)");
		return GD_EINVALID;
	}
	if ((bad = utf8_check(c->text, c->len))) {
		diags_add(c->d, DIAG_ERROR, c->file, line_at(c->text, bad - 1),
			  NULL, "%s at byte %zu (expected UTF-8 JSON text)",
			  c->text[bad - 1] ? "invalid UTF-8" : "NUL byte", bad);
		return GD_EINVALID;
	}
	root = cJSON_ParseWithLengthOpts(c->text + bom(c->text, c->len),
					 c->len - bom(c->text, c->len), &end, 0);
	if (!root) {
		size_t off = end && end >= c->text ? (size_t)(end - c->text) : 0;
		if (off > c->len)
			off = c->len;
		diags_add(c->d, DIAG_ERROR, c->file, line_at(c->text, off), NULL,
			  "not valid JSON near byte %zu", off + 1);
		return GD_EINVALID;
	}
	if (end && skip_ws(c->text, c->len, (size_t)(end - c->text)) < c->len) {
		diags_add(c->d, DIAG_ERROR, c->file,
			  line_at(c->text, skip_ws(c->text, c->len,
						   (size_t)(end - c->text))), NULL,
			  "unexpected data after the JSON value");
		cJSON_Delete(root);
		return GD_EINVALID;
	}
	if (find_dup(root, "", dup, sizeof(dup), 0)) {
		jctx_error(c, dup, "duplicate key (each key may appear once)");
		cJSON_Delete(root);
		return GD_EINVALID;
	}
	if (!cJSON_IsObject(root)) {
		diags_add(c->d, DIAG_ERROR, c->file, 1, NULL,
			  "expected a JSON object at the top level");
		cJSON_Delete(root);
		return GD_EINVALID;
	}
	*out = root;
	return 0;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v)) return "a string";
	if (cJSON_IsNumber(v)) return "a number";
	if (cJSON_IsBool(v)) return "a boolean";
	if (cJSON_IsNull(v)) return "null";
	if (cJSON_IsArray(v)) return "an array";
	if (cJSON_IsObject(v)) return "an object";
	return "a value";
}

static const cJSON *jget(struct jctx *c, const cJSON *obj, const char *prefix,
			 const char *key, int required,
			 cJSON_bool (*is)(const cJSON *), const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char path[512];

	jpath(path, sizeof(path), prefix, key);
	if (!v) {
		if (required)
			jctx_error(c, path, "is required (expected %s)", want);
		return NULL;
	}
	if (!is(v)) {
		jctx_error(c, path, "is %s (expected %s)", type_name(v), want);
		return NULL;
	}
	return v;
}

const cJSON *jget_string(struct jctx *c, const cJSON *obj, const char *prefix,
			 const char *key, int required)
{
	return jget(c, obj, prefix, key, required, cJSON_IsString, "a string");
}

const cJSON *jget_object(struct jctx *c, const cJSON *obj, const char *prefix,
			 const char *key, int required)
{
	return jget(c, obj, prefix, key, required, cJSON_IsObject, "an object");
}

const cJSON *jget_array(struct jctx *c, const cJSON *obj, const char *prefix,
			const char *key, int required)
{
	return jget(c, obj, prefix, key, required, cJSON_IsArray, "an array");
}

int jget_int(struct jctx *c, const cJSON *obj, const char *prefix,
	     const char *key, long min, long max, long *out)
{
	const cJSON *v = jget(c, obj, prefix, key, 0, cJSON_IsNumber,
			      "an integer");
	char path[512];
	double d;

	if (!v)
		return 0;
	d = v->valuedouble;
	jpath(path, sizeof(path), prefix, key);
	/* range first: casting a huge double to long is undefined */
	if (d < (double)min || d > (double)max) {
		jctx_error(c, path, "%g is out of range (expected %ld-%ld)",
			   d, min, max);
		return 0;
	}
	if (d != (double)(long)d) {
		jctx_error(c, path, "%g is not an integer", d);
		return 0;
	}
	*out = (long)d;
	return 1;
}

int jget_bool(struct jctx *c, const cJSON *obj, const char *prefix,
	      const char *key, int *out)
{
	const cJSON *v = jget(c, obj, prefix, key, 0, cJSON_IsBool, "true or false");

	if (!v)
		return 0;
	*out = cJSON_IsTrue(v);
	return 1;
}

void jcheck_keys(struct jctx *c, const cJSON *obj, const char *prefix,
		 const char *const *allowed)
{
	const cJSON *m;
	char path[512];

	for (m = obj ? obj->child : NULL; m; m = m->next) {
		const char *const *a;
		for (a = allowed; *a; a++)
			if (!strcmp(*a, m->string))
				break;
		if (!*a)
			jctx_error(c, jpath(path, sizeof(path), prefix, m->string),
				   "unknown field (check the spelling; see schemas/)");
	}
}

/* Refuses text that is not one JSON object, or key that is not plain. */
static int member_check(const char *text, size_t len, const char *key)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	int top_object = doc && cJSON_IsObject(doc);

	cJSON_Delete(doc);
	if (!top_object)
		return gd_error_set("not a JSON object");
	if (strchr(key, '.') || strchr(key, '[') || strchr(key, '"'))
		return gd_error_set("'%s' is not a plain member name", key);
	return 0;
}

int json_set_member(struct buf *out, const char *text, size_t len,
		    const char *key, const char *value)
{
	size_t at, end, first;
	int rc = 0;

	if ((rc = member_check(text, len, key)))
		return rc;
	at = locate(text, len, key);
	if (at != (size_t)-1) {
		end = skip_value(text, len, at, 0);
		if (buf_put(out, text, at) || buf_puts(out, value) ||
		    buf_put(out, text + end, len - end))
			rc = gd_error_set("out of memory");
		return rc;
	}
	/* a new member goes first, indented like the one it precedes */
	at = skip_ws(text, len, bom(text, len)) + 1; /* after '{' */
	first = skip_ws(text, len, at);
	if (buf_put(out, text, at))
		return gd_error_set("out of memory");
	if (text[first] == '}')
		rc = buf_printf(out, "\"%s\": %s", key, value);
	else
		rc = buf_put(out, text + at, first - at) ||
		     buf_printf(out, "\"%s\": %s,", key, value);
	if (rc || buf_put(out, text + at, len - at))
		return gd_error_set("out of memory");
	return 0;
}

int json_remove_member(struct buf *out, const char *text, size_t len,
		       const char *key)
{
	size_t at, end, from, to, k;
	int rc;

	if ((rc = member_check(text, len, key)))
		return rc;
	at = locate(text, len, key);
	if (at == (size_t)-1)
		return buf_put(out, text, len) ? gd_error_set("out of memory") : 0;
	/* back from the value over ':' to the key's opening quote */
	k = at;
	while (k > 0 && text[k - 1] != ':')
		k--;
	while (k > 0 && text[k - 1] != '"')
		k--;
	if (k > 0)
		k--; /* the key's closing quote */
	while (k > 0 && text[k - 1] != '"')
		k--;
	if (k == 0)
		return gd_error_set("cannot find the member '%s'", key);
	from = k - 1;
	end = skip_value(text, len, at, 0);
	to = skip_ws(text, len, end);
	if (to < len && text[to] == ',') {
		/* "key": v, next → next, where the key's line began */
		to = skip_ws(text, len, to + 1);
	} else {
		/* the last member: the comma before it goes with it */
		to = end;
		k = from;
		while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t' ||
				 text[k - 1] == '\n' || text[k - 1] == '\r'))
			k--;
		if (k > 0 && text[k - 1] == ',')
			from = k - 1;
	}
	if (buf_put(out, text, from) || buf_put(out, text + to, len - to))
		return gd_error_set("out of memory");
	return 0;
}
