/*
 * gitdial report: a static HTML dashboard (SPEC §8) that a CI job can
 * publish: index.html with the campaigns table in three tabs (active,
 * archived, deleted), a search box and provider/status filters, and one
 * page per campaign (<tab>/<id>.html) with its live progress, a chart of
 * progress over time, the last 50 outcomes and why it failed.
 *
 * Everything is inline (CSS, one script, SVG): the pages make no request
 * at all, and a Content-Security-Policy allowing only our own script (by
 * its SHA-256) backs up the escaping of every value from the repository.
 * The output is a function of the branch head and --now: the same
 * repository and clock give the same bytes.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "calls.h"
#include "cmd.h"
#include "err.h"
#include "html.h"
#include "ledger.h"
#include "repo.h"
#include "state.h"
#include "store.h"
#include "summary.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial report --out DIR [--repo PATH] [--now RFC3339] [--format text|json]";

#define PAGE_MAX (64u << 20)

static const char css[] =
	":root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Noto Sans','Noto Sans Arabic',sans-serif;color:var(--fg);"
	"background:var(--bg)}"
	"main{max-width:1180px;margin:0 auto;padding:24px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}"
	"a{color:#1d4ed8}.sub{color:var(--muted);margin:0 0 18px}"
	"table{width:100%;border-collapse:collapse;background:#fff;"
	"border:1px solid var(--line);border-radius:8px}"
	"th,td{padding:8px 10px;border-bottom:1px solid var(--line);"
	"text-align:start;white-space:nowrap}"
	"td.name{white-space:normal;unicode-bidi:plaintext}"
	"td.sum{white-space:normal;unicode-bidi:plaintext;min-width:240px}"
	"th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;"
	"color:var(--muted);background:#f3f4f6}"
	"td.n,th.n{text-align:end;font-variant-numeric:tabular-nums}"
	"tr[hidden]{display:none}"
	".chip{display:inline-flex;align-items:center;gap:6px;padding:2px 10px;"
	"border-radius:999px;font-size:12px;font-weight:600}"
	".chip.draft{background:#eef0f3;color:#6b7280}"
	".chip.archived{background:#eef0f3;color:#6b7280}"
	".chip.scheduled{background:#dbeafe;color:#1d4ed8}"
	".chip.dialing{background:#fef3c7;color:#b45309}"
	".chip.dialing::before{content:'';width:7px;height:7px;border-radius:50%;"
	"background:#f59e0b;animation:pulse 1.4s ease-in-out infinite}"
	".chip.paused{background:#ede9fe;color:#6d28d9}"
	".chip.completed{background:#dcfce7;color:#15803d}"
	".chip.failed{background:#fee2e2;color:#b91c1c}"
	"@keyframes pulse{0%,100%{opacity:1;box-shadow:0 0 0 0 "
	"rgba(245,158,11,.6)}50%{opacity:.45;box-shadow:0 0 0 5px "
	"rgba(245,158,11,0)}}"
	"@media (prefers-reduced-motion:reduce){.chip.dialing::before"
	"{animation:none}}"
	"[role=tablist]{display:flex;gap:4px;border-bottom:1px solid var(--line);"
	"margin:16px 0 12px}"
	"[role=tab]{font:inherit;border:0;background:none;padding:8px 14px;"
	"cursor:pointer;color:var(--muted);border-bottom:2px solid transparent}"
	"[role=tab][aria-selected=true]{color:var(--fg);border-color:#1d4ed8;"
	"font-weight:600}"
	".count{display:inline-block;min-width:20px;margin-inline-start:6px;"
	"padding:0 6px;border-radius:999px;background:#e5e7eb;font-size:12px}"
	".controls{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}"
	".controls[hidden]{display:none}a[role=tab]{text-decoration:none;"
	"display:inline-block}nav.filters{margin:6px 0 12px;color:var(--muted);"
	"line-height:2}nav.filters a[aria-current]{font-weight:600;color:var(--fg)}"
	".controls input[type=search]{font:inherit;padding:6px 10px;width:280px;"
	"border:1px solid #d1d5db;border-radius:6px}"
	"details.ms{position:relative;background:#fff;border:1px solid #d1d5db;"
	"border-radius:6px}"
	"details.ms summary{padding:6px 12px;cursor:pointer;list-style:none}"
	"details.ms[open] .opts{position:absolute;z-index:2;background:#fff;"
	"border:1px solid #d1d5db;border-radius:6px;padding:6px 10px;"
	"margin-top:4px;min-width:160px;box-shadow:0 4px 12px rgba(0,0,0,.08)}"
	"details.ms label{display:block;padding:3px 0;white-space:nowrap}"
	".empty{color:var(--muted);padding:12px 0}"
	".note{color:#92400e;background:#fffbeb;border:1px solid #fde68a;"
	"padding:8px 12px;border-radius:6px}"
	".alert{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d;"
	"padding:10px 14px;border-radius:6px;margin:12px 0}"
	".alert.paused{background:#f5f3ff;border-color:#ddd6fe;color:#4c1d95}"
	"dl.facts{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(220px,1fr));gap:8px 20px;margin:16px 0}"
	"dl.facts div{background:#fff;border:1px solid var(--line);"
	"border-radius:6px;padding:8px 12px}"
	"dt{font-size:12px;color:var(--muted)}dd{margin:0;word-break:break-word}"
	".stats{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}"
	".stat{background:#fff;border:1px solid var(--line);border-radius:8px;"
	"padding:10px 14px}.stat b{display:block;font-size:24px}"
	".stat span{color:var(--muted);font-size:12px}"
	".bar{display:flex;height:10px;border-radius:5px;overflow:hidden;"
	"background:#e5e7eb;margin-top:10px}"
	".bar i{display:block}.k-flight{background:#f59e0b}"
	".k-queued{background:#93c5fd}.k-done{background:#22c55e}"
	".k-failed{background:#ef4444}.k-skipped{background:#9ca3af}"
	"svg.chart{background:#fff;border:1px solid var(--line);"
	"border-radius:8px;width:100%;max-width:760px;height:auto}"
	"footer{color:var(--muted);font-size:12px;margin-top:28px}";

/*
 * The index page's only script. The page's CSP allows it by hash, so it
 * must stay a constant (no value from the repository inside it).
 */
static const char js[] =
	"(function(){\"use strict\";"
	"var q=document.getElementById(\"q\");"
	"var tabs=[].slice.call(document.querySelectorAll('[role=\"tab\"]'));"
	"function picked(n){return [].slice.call(document.querySelectorAll("
	"'input[name=\"'+n+'\"]:checked')).map(function(e){return e.value;});}"
	"function label(n,v){var s=document.getElementById(\"f-\"+n)"
	".querySelector(\"summary\");s.textContent=s.dataset.label+"
	"(v.length?\" (\"+v.length+\")\":\"\");}"
	"function apply(){var t=q.value.trim().toLowerCase(),"
	"p=picked(\"provider\"),s=picked(\"status\");label(\"provider\",p);"
	"label(\"status\",s);"
	"[].slice.call(document.querySelectorAll('[role=\"tabpanel\"]'))"
	".forEach(function(panel){var rows=[].slice.call(panel.querySelectorAll("
	"\"tbody tr\")),shown=0;rows.forEach(function(r){var d=r.dataset,"
	"ok=(!t||d.name.toLowerCase().indexOf(t)>=0)&&"
	"(!p.length||p.indexOf(d.provider)>=0)&&"
	"(!s.length||s.indexOf(d.status)>=0);r.hidden=!ok;if(ok)shown++;});"
	"panel.querySelector(\".empty\").hidden=shown>0;"
	"document.querySelector('[aria-controls=\"'+panel.id+'\"] .count')"
	".textContent=shown===rows.length?String(shown):shown+\" of \"+"
	"rows.length;});}"
	"function select(name,push){tabs.forEach(function(b){var on="
	"b.id===\"tab-\"+name;b.setAttribute(\"aria-selected\",on?\"true\":"
	"\"false\");document.getElementById(b.getAttribute(\"aria-controls\"))"
	".hidden=!on;});if(push&&history.replaceState)history.replaceState("
	"null,\"\",\"#\"+name);}"
	"tabs.forEach(function(b){b.addEventListener(\"click\",function(e){"
	"e.preventDefault();select(b.id.slice(4),true);});});"
	"document.querySelector(\".controls\").hidden=false;"
	"var h=location.hash.slice(1);if(document.getElementById(\"tab-\"+h))"
	"select(h,false);"
	"q.addEventListener(\"input\",apply);"
	"[].slice.call(document.querySelectorAll('.ms input')).forEach("
	"function(e){e.addEventListener(\"change\",apply);});apply();})();";

struct tab {
	const char *top;   /* folder in the repository (SPEC §3) */
	const char *name;  /* anchor and element ids */
	const char *label; /* for people */
};

static const struct tab tabs[] = {
	{ "campaigns", "active", "Active" },
	{ "archived", "archived", "Archived" },
	{ "deleted", "deleted", "Deleted" },
};
#define NTABS (sizeof(tabs) / sizeof(tabs[0]))

/* One index row in its tab's panel buffer, for the filtered pages. */
struct rowref {
	enum status st;
	char provider[32];
	size_t off, len;
};

/* Everything a run writes, gathered as it goes. */
struct report {
	struct rowref *rowv[NTABS];
	size_t rowalloc[NTABS];
	const char *out;
	time_t now;
	char commit[41], branch[64];
	char csp[320];
	struct buf panel[NTABS];
	size_t rows[NTABS], broken[NTABS];
	char providers[32][32];
	size_t n_providers;
	size_t pages;
};

/* Appends the page's head: title (escaped), the CSP, the CSS. */
static int page_head(struct buf *b, const struct report *rp, const char *title)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		 "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		 "content=\"width=device-width,initial-scale=1\">\n"
		 "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	buf_puts(b, rp->csp);
	buf_puts(b, "\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
		 "<title>");
	html_put(b, title);
	buf_puts(b, "</title>\n<style>");
	buf_puts(b, css);
	return buf_puts(b, "</style>\n</head>\n<body>\n<main>\n");
}

static int page_foot(struct buf *b, const struct report *rp, int script)
{
	char t[21];

	time_format_utc(t, rp->now);
	buf_printf(b, "<footer>Generated by gitdial report from commit "
		   "<code>%.12s</code> on branch <code>", rp->commit);
	html_put(b, rp->branch);
	buf_printf(b, "</code> at %s.</footer>\n</main>\n", t);
	if (script) {
		buf_puts(b, "<script>");
		buf_puts(b, js);
		buf_puts(b, "</script>\n");
	}
	return buf_puts(b, "</body>\n</html>\n");
}

static void chip(struct buf *b, enum status st)
{
	buf_printf(b, "<span class=\"chip %s\">%s</span>", status_names[st],
		   status_labels[st]);
}

/* Writes rp->out/rel from b. */
static int emit(const struct report *rp, const char *rel, const struct buf *b)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", rp->out, rel);
	if (file_write_atomic_buf(path, b)) {
		gd_error_prefix("cannot write '%s'", path);
		return GD_ERROR;
	}
	return 0;
}

static void provider_note(struct report *rp, const char *p)
{
	size_t i, j;

	for (i = 0; i < rp->n_providers; i++) {
		int c = strcmp(rp->providers[i], p);
		if (!c)
			return;
		if (c > 0)
			break;
	}
	if (rp->n_providers == sizeof(rp->providers) / sizeof(rp->providers[0]))
		return;
	for (j = rp->n_providers++; j > i; j--)
		memcpy(rp->providers[j], rp->providers[j - 1], sizeof(rp->providers[0]));
	snprintf(rp->providers[i], sizeof(rp->providers[i]), "%s", p);
}

/* What the campaign page shows beyond struct cstate, from one log pass. */
struct extras {
	char *recording[RECENT_MAX]; /* per cs->recent slot, or NULL */
	uint8_t sentiment[RECENT_MAX];
	int64_t *ends; /* ts of every outcome event */
	size_t n_ends, alloc;
};

static void extras_release(struct extras *x)
{
	size_t i;

	for (i = 0; i < RECENT_MAX; i++)
		free(x->recording[i]);
	free(x->ends);
	memset(x, 0, sizeof(*x));
}

static int recent_slot(const struct cstate *cs, const char *call_id)
{
	size_t i, n = cs->n_recent < RECENT_MAX ? cs->n_recent : RECENT_MAX;

	if (!call_id || !*call_id)
		return -1;
	for (i = 0; i < n; i++)
		if (!strncmp(cs->recent[i].call_id, call_id,
			     sizeof(cs->recent[i].call_id) - 1))
			return (int)i;
	return -1;
}

/* The newest recent slot of the attempt's recipient with no recording yet. */
static int recent_slot_key(const struct extras *x, const struct cstate *cs,
			   const char *attempt_id)
{
	size_t i, n = cs->n_recent < RECENT_MAX ? cs->n_recent : RECENT_MAX;
	uint64_t key;
	int att, k = -1;

	if (attempt_id_parse(attempt_id, &key, &att))
		return -1;
	for (i = 0; i < n; i++)
		if (cs->recent[i].key == key && !x->recording[i] &&
		    (k < 0 || cs->recent[i].ts > cs->recent[k].ts))
			k = (int)i;
	return k;
}

static void extras_line(struct extras *x, const struct cstate *cs,
			const char *line, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	const char *ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
	const char *ts = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "ts"));
	const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "call_id"));
	time_t t;
	int k;

	if (!ev || !ts || time_parse_rfc3339(&t, ts))
		goto done;
	if (!strcmp(ev, "outcome")) {
		const char *url = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "recording_url"));
		if (x->n_ends == x->alloc) {
			size_t na = x->alloc ? x->alloc * 2 : 256;
			int64_t *p = realloc(x->ends, na * sizeof(*p));
			if (!p)
				goto done;
			x->ends = p;
			x->alloc = na;
		}
		x->ends[x->n_ends++] = t;
		if (url && (k = recent_slot(cs, cid)) >= 0) {
			free(x->recording[k]);
			x->recording[k] = strndup(url, 2048);
		}
	} else if (!strcmp(ev, "recording")) {
		/* a URL that came after the outcome (Telnyx), by attempt */
		const char *url = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "recording_url"));
		if (url && (k = recent_slot_key(x, cs, cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "attempt_id")))) >= 0)
			x->recording[k] = strndup(url, 2048);
	} else if (!strcmp(ev, "analysis") && (k = recent_slot(cs, cid)) >= 0) {
		const char *s = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(o, "sentiment"));
		if (s)
			x->sentiment[k] = !strcmp(s, "positive") ? 1
				: !strcmp(s, "neutral") ? 2
				: !strcmp(s, "negative") ? 3 : x->sentiment[k];
	}
done:
	cJSON_Delete(o);
}

/* One pass over campaign id's log for recordings, sentiments and times. */
static int extras_collect(struct extras *x, const struct cstate *cs,
			  struct src *s, const char *id)
{
	struct src_files f = { NULL, 0 };
	size_t i;
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = ledger_files(&f, s, id)))
		return rc;
	for (i = 0; i < f.n; i++) {
		const char *data, *p, *end;
		size_t len;
		void *tok;
		if ((rc = s->map(s, &f.v[i], &data, &len, &tok)))
			break;
		for (p = data, end = data + len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (n)
				extras_line(x, cs, p, n);
			p += n + 1;
		}
		s->unmap(s, tok);
	}
	src_files_release(&f);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void hour_label(char out[16], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	str_fmt_cut(out, 16, "%02d-%02d %02d:%02d", tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min);
}

/* How many of the sorted v[0..n) are before t. */
static size_t count_before(const int64_t *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * An inline SVG of two cumulative series (calls ended, recipients
 * finished) sampled at the end of each bucket: ten minutes for a run
 * shorter than six hours, else an hour, or several hours when it ran for
 * more than 72 (at most 72 buckets). Sorts both arrays.
 */
static void chart_svg(struct buf *b, int64_t *ends, size_t n_ends,
		      int64_t *fins, size_t n_fins)
{
	static const int W = 720, H = 270, L = 52, R = 16, T = 34, B = 40;
	const struct { const int64_t *v; size_t n; const char *color, *name; } ser[2] = {
		{ ends, n_ends, "#2563eb", "calls ended" },
		{ fins, n_fins, "#16a34a", "recipients finished" },
	};
	int64_t t0, t1, hours, k, nb, j, step;
	size_t ymax, s;
	char lab[16], per[32];

	if (!n_ends && !n_fins) {
		buf_puts(b, "<p class=\"empty\">No calls have ended yet.</p>\n");
		return;
	}
	qsort(ends, n_ends, sizeof(*ends), cmp_i64);
	qsort(fins, n_fins, sizeof(*fins), cmp_i64);
	t0 = n_ends ? ends[0] : fins[0];
	if (n_fins && fins[0] < t0)
		t0 = fins[0];
	t1 = n_ends ? ends[n_ends - 1] : fins[n_fins - 1];
	if (n_fins && fins[n_fins - 1] > t1)
		t1 = fins[n_fins - 1];
	if (t1 - t0 < 6 * 3600) { /* a short run: 10-minute buckets */
		step = 600;
		t0 -= ((t0 % step) + step) % step;
		nb = (t1 - t0) / step + 1;
		k = 0;
	} else {
		t0 -= ((t0 % 3600) + 3600) % 3600;
		hours = (t1 - t0) / 3600 + 1;
		k = (hours + 71) / 72;
		nb = (hours + k - 1) / k;
		step = k * 3600;
	}
	ymax = n_ends > n_fins ? n_ends : n_fins;
	if (k > 1)
		snprintf(per, sizeof(per), "%" PRId64 " hours", k);
	else
		snprintf(per, sizeof(per), "%s", k ? "hour" : "10 minutes");
	buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		   "aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">"
		   "<title id=\"chart-title\">Cumulative calls ended and recipients "
		   "finished, per %s (UTC)</title>\n", W, H, per);
	/* axes and grid */
	for (j = 0; j <= 2; j++) {
		size_t v = ymax * (size_t)j / 2;
		double y = T + (H - T - B) - (double)v * (H - T - B) / (double)ymax;
		if (j == 1 && ymax < 2)
			continue;
		buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			   "stroke=\"#e5e7eb\"/><text x=\"%d\" y=\"%.1f\" "
			   "font-size=\"11\" text-anchor=\"end\" fill=\"#6b7280\">"
			   "%zu</text>\n", L, y, W - R, y, L - 6, y + 4, v);
	}
	for (j = 0; j < 3; j++) {
		int64_t at = j == 0 ? 0 : j == 1 ? nb / 2 : nb;
		double x = L + (double)at * (W - L - R) / (double)nb;
		if ((j == 1 && (at == 0 || at == nb)) || (j == 2 && at == 0))
			continue;
		hour_label(lab, (time_t)(t0 + at * step));
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			   "text-anchor=\"%s\" fill=\"#6b7280\">%s</text>\n", x,
			   H - B + 18, j == 0 ? "start" : j == 2 ? "end" : "middle",
			   lab);
	}
	for (s = 0; s < 2; s++) {
		buf_printf(b, "<polyline class=\"series\" data-series=\"%s\" "
			   "fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
			   ser[s].name, ser[s].color,
			   s ? " stroke-dasharray=\"6 4\"" : "");
		for (j = 0; j <= nb; j++) {
			size_t v = count_before(ser[s].v, ser[s].n, t0 + j * step);
			double x = L + (double)j * (W - L - R) / (double)nb;
			double y = T + (H - T - B) - (double)v * (H - T - B) / (double)ymax;
			buf_printf(b, "%s%.1f,%.1f", j ? " " : "", x, y);
		}
		buf_puts(b, "\"/>\n");
		for (j = 1; nb <= 72 && j <= nb; j++) {
			size_t v = count_before(ser[s].v, ser[s].n, t0 + j * step);
			double x = L + (double)j * (W - L - R) / (double)nb;
			double y = T + (H - T - B) - (double)v * (H - T - B) / (double)ymax;
			hour_label(lab, (time_t)(t0 + j * step));
			buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
				   "fill=\"%s\"><title>%s UTC: %zu %s</title></circle>\n",
				   x, y, ser[s].color, lab, v, ser[s].name);
		}
	}
	buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		   "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>"
		   "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		   "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n</svg>\n",
		   L + 8, 8, ser[0].color, L + 24, 17, ser[0].name,
		   L + 140, 8, ser[1].color, L + 156, 17, ser[1].name);
}

static void fact(struct buf *b, const char *dt, const char *dd)
{
	buf_puts(b, "<div><dt>");
	buf_puts(b, dt);
	buf_puts(b, "</dt><dd>");
	html_put(b, dd && *dd ? dd : "-");
	buf_puts(b, "</dd></div>\n");
}

static void stat_box(struct buf *b, const char *cls, const char *label,
		     size_t v)
{
	buf_printf(b, "<div class=\"stat\" data-stat=\"%s\"><b>%zu</b>"
		   "<span>%s</span></div>\n", cls, v, label);
}

/* The page of one campaign: <tab>/<id>.html. */
static int campaign_page(struct report *rp, const struct tab *t,
			 const struct repo *r, const struct repo_campaign *rc,
			 struct src *s, const struct csummary *sum,
			 const struct cstate *cs, size_t n_calls)
{
	static const char *const sent[] = { "-", "positive", "neutral", "negative" };
	struct buf b = BUF_INIT(PAGE_MAX);
	struct extras x;
	struct progress p;
	const struct campaign *c = rc->c;
	int64_t *fins = NULL;
	size_t i, n_fins = 0, total, shown;
	char rel[128], tsb[21], num[32];
	int rc2;

	if ((rc2 = extras_collect(&x, cs, s, rc->id)))
		goto cleanup;
	summary_progress(&p, c, cs, rp->now);
	fins = calloc(cs->n + 1, sizeof(*fins));
	for (i = 0; fins && i < cs->n; i++) {
		time_t when;
		const struct rstate *rs = &cs->r[i];
		if (rs->done && rstate_eligible(c, rs, rp->now, &when) == EL_TERMINAL)
			fins[n_fins++] = rs->last_end;
	}
	page_head(&b, rp, sum->name);
	buf_printf(&b, "<p><a href=\"../index.html#%s\">&larr; All campaigns</a></p>\n"
		   "<h1 class=\"name\" dir=\"auto\">", t->name);
	html_put(&b, sum->name);
	buf_puts(&b, "</h1>\n<p class=\"sub\">");
	chip(&b, sum->st);
	if (t != &tabs[0])
		buf_printf(&b, " &middot; %s", t->label);
	buf_puts(&b, "</p>\n");
	if (sum->st == ST_FAILED)
		buf_puts(&b, "<div class=\"alert\" id=\"why\"><strong>Why it failed:"
			 "</strong> ");
	else if (sum->st == ST_PAUSED && cs->logged == ST_PAUSED &&
		 cs->logged_reason[0])
		buf_puts(&b, "<div class=\"alert paused\" id=\"why\"><strong>"
			 "Paused:</strong> ");
	if (sum->st == ST_FAILED || (sum->st == ST_PAUSED &&
				     cs->logged == ST_PAUSED && cs->logged_reason[0])) {
		html_put(&b, cs->logged_reason[0] ? cs->logged_reason
			 : "no reason was logged");
		if (cs->logged_ts) {
			time_format_utc(tsb, (time_t)cs->logged_ts);
			buf_printf(&b, " <span class=\"sub\">(%s)</span>", tsb);
		}
		buf_puts(&b, "</div>\n");
	}
	if (!rc->aud)
		buf_puts(&b, "<p class=\"note\" id=\"audience-note\">The audience "
			 "could not be read, so no recipient is counted (run "
			 "<code>gitdial validate</code>).</p>\n");
	buf_puts(&b, "<dl class=\"facts\">\n");
	fact(&b, "ID", rc->id);
	fact(&b, "Provider", sum->provider);
	fact(&b, "Account", c->account);
	fact(&b, "Caller ID", campaign_caller_id(c, r->cfg));
	fact(&b, "Audience", sum->audience);
	fact(&b, "Created", sum->created);
	if (cs->last_ts)
		time_format_utc(tsb, (time_t)cs->last_ts);
	fact(&b, "Last updated", cs->last_ts ? tsb : "-");
	if (c->start_at)
		time_format_utc(tsb, c->start_at);
	fact(&b, "Starts", c->start_at ? tsb : "-");
	fact(&b, "Window", c->window_text);
	snprintf(num, sizeof(num), "%ld", c->concurrency);
	fact(&b, "Concurrency", num);
	fact(&b, "Script", c->script_override ? "override" : "agent");
	buf_puts(&b, "</dl>\n<h2>Progress</h2>\n<div class=\"stats\">\n");
	stat_box(&b, "in_flight", "in flight", p.in_flight);
	stat_box(&b, "queued", "queued", p.queued);
	stat_box(&b, "completed", "completed", p.completed);
	stat_box(&b, "failed", "failed", p.failed);
	stat_box(&b, "skipped", "skipped (DNC, opted out)", p.skipped);
	if (p.not_called) /* a final campaign queues nobody */
		stat_box(&b, "not_called", "not called (the campaign is final)",
			 p.not_called);
	buf_puts(&b, "</div>\n");
	if (cs->n_skipped) {
		/* the skip events' reasons */
		buf_printf(&b, "<p class=\"sub\" id=\"skip-reasons\">%zu skipped:",
			   cs->n_skipped);
		for (i = 0; i < SKIP_WHY_MAX && cs->skip_why[i].n; i++) {
			buf_puts(&b, i ? ", " : " ");
			html_put(&b, cs->skip_why[i].why);
			buf_printf(&b, " %u", cs->skip_why[i].n);
		}
		buf_puts(&b, "</p>\n");
	}
	buf_puts(&b, "<div class=\"bar\" aria-hidden=\"true\">");
	total = p.in_flight + p.queued + p.completed + p.failed + p.skipped +
		p.not_called;
	{
		const struct { const char *k; size_t v; } seg[] = {
			{ "k-done", p.completed }, { "k-failed", p.failed },
			{ "k-skipped", p.skipped }, { "k-flight", p.in_flight },
			{ "k-queued", p.queued + p.not_called },
		};
		for (i = 0; total && i < 5; i++)
			if (seg[i].v)
				buf_printf(&b, "<i class=\"%s\" style=\"width:%zu.%zu%%\"></i>",
					   seg[i].k, seg[i].v * 100 / total,
					   seg[i].v * 1000 / total % 10);
	}
	buf_printf(&b, "</div>\n<p class=\"sub\">%zu recipients; %zu calls "
		   "(%zu connected, %zu answered, %zu no answer).</p>\n",
		   cs->n, cs->n_outcomes, sum->connected, sum->answered,
		   sum->noanswer);
	buf_printf(&b, "<p><a id=\"conversations\" href=\"calls/%s.html\">"
		   "Conversations</a> (%zu call%s: outcome, sentiment, summary, "
		   "transcript and recording of each)</p>\n", rc->id, n_calls,
		   n_calls == 1 ? "" : "s");
	buf_puts(&b, "<h2>Progress over time</h2>\n");
	chart_svg(&b, x.ends, x.n_ends, fins, n_fins);
	shown = cs->n_recent < RECENT_MAX ? cs->n_recent : RECENT_MAX;
	buf_printf(&b, "<h2>Last %zu outcomes</h2>\n", shown);
	if (!shown)
		buf_puts(&b, "<p class=\"empty\">No outcomes yet.</p>\n");
	else
		buf_puts(&b, "<table id=\"outcomes\"><thead><tr><th>Ended (UTC)</th>"
			 "<th>Phone</th><th>Outcome</th><th class=\"n\">Duration</th>"
			 "<th>Sentiment</th><th>Recording</th></tr></thead><tbody>\n");
	for (i = 0; i < shown; i++) {
		size_t k = (cs->n_recent - 1 - i) % RECENT_MAX;
		const struct outcome_rec *o = &cs->recent[k];
		unsigned se = x.sentiment[k] ? x.sentiment[k] : o->sentiment;
		time_format_utc(tsb, (time_t)o->ts);
		buf_printf(&b, "<tr><td>%s</td><td>+%" PRIu64 "</td><td>%s</td>"
			   "<td class=\"n\">%d:%02d</td><td>%s</td><td>", tsb,
			   o->key, outcome_names[o->outcome], o->duration_s / 60,
			   o->duration_s % 60, sent[se > 3 ? 0 : se]);
		if (x.recording[k] && html_url_ok(x.recording[k])) {
			buf_puts(&b, "<a rel=\"noopener noreferrer\" href=\"");
			html_put(&b, x.recording[k]);
			buf_puts(&b, "\">recording</a>");
		} else if (x.recording[k]) {
			buf_puts(&b, "<span class=\"sub\" title=\"not an http(s) link\">");
			html_put(&b, x.recording[k]);
			buf_puts(&b, "</span>");
		} else
			buf_puts(&b, "-");
		buf_puts(&b, "</td></tr>\n");
	}
	if (shown)
		buf_puts(&b, "</tbody></table>\n");
	page_foot(&b, rp, 0);
	snprintf(rel, sizeof(rel), "%s/%s.html", t->name, rc->id);
	rc2 = emit(rp, rel, &b);
	rp->pages++;
cleanup:
	free(fins);
	extras_release(&x);
	buf_release(&b);
	return rc2;
}

#define REPORT_CALLS_MAX 500 /* calls on a campaign's conversations page */

static void link_cell(struct buf *b, const char *url, const char *label)
{
	buf_puts(b, "<td>");
	if (url && html_url_ok(url)) {
		buf_puts(b, "<a rel=\"noopener noreferrer\" href=\"");
		html_put(b, url);
		buf_printf(b, "\">%s</a>", label);
	} else
		buf_puts(b, "-");
	buf_puts(b, "</td>");
}

/*
 * One conversations page of campaign rc: every call (oc OUT_NONE, at
 * <tab>/calls/<id>.html) or those with outcome oc (<tab>/calls/<id>/<oc>.html),
 * the newest REPORT_CALLS_MAX, with outcome, duration, the agent's
 * sentiment and summary, transcript and recording links (http(s) only:
 * calls.c keeps no other), phone numbers masked; above the table, plain
 * links to the other outcomes' pages (they work without JavaScript).
 */
static int calls_page_one(struct report *rp, const struct tab *t,
			  const struct repo_campaign *rc,
			  const struct csummary *sum, const struct cstate *cs,
			  const struct calls *all, const size_t *per, int oc)
{
	struct buf b = BUF_INIT(PAGE_MAX);
	const char *up = oc ? "../" : "";
	char rel[200], tsb[21], e164[PHONE_MAX], phone[32];
	size_t i, total = oc ? per[oc] : all->n, shown = 0;
	int k, rc2;

	page_head(&b, rp, sum->name);
	buf_printf(&b, "<p><a href=\"%s../%s.html\">&larr; ", up, rc->id);
	html_put(&b, sum->name);
	buf_puts(&b, "</a></p>\n<h1 class=\"name\" dir=\"auto\">Conversations: ");
	html_put(&b, sum->name);
	buf_printf(&b, "</h1>\n<p class=\"sub\">%zu call%s%s%s, newest first",
		   total, total == 1 ? "" : "s", oc ? " with outcome " : "",
		   oc ? outcome_names[oc] : "");
	if (total > REPORT_CALLS_MAX)
		buf_printf(&b, "; the newest %d here (<code>gitdial show %s "
			   "--calls --limit N</code> lists more)", REPORT_CALLS_MAX,
			   rc->id);
	buf_puts(&b, ". Phone numbers are masked.</p>\n");
	buf_printf(&b, "<nav class=\"filters\" aria-label=\"Outcome\"><span>"
		   "Outcome:</span> <a href=\"%s%s.html\"%s>All</a>&nbsp;<span "
		   "class=\"count\">%zu</span>", up, rc->id,
		   oc ? "" : " aria-current=\"page\"", all->n);
	for (k = OUT_CONNECTED; k <= OUT_FAILED; k++) {
		if (!per[k]) {
			buf_printf(&b, " %s&nbsp;<span class=\"count\">0</span>",
				   outcome_names[k]);
			continue;
		}
		buf_printf(&b, " <a href=\"%s%s/%s.html\"%s>%s</a>&nbsp;<span "
			   "class=\"count\">%zu</span>", up, rc->id,
			   outcome_names[k], k == oc ? " aria-current=\"page\"" : "",
			   outcome_names[k], per[k]);
	}
	buf_puts(&b, "</nav>\n");
	if (all->bad_urls)
		buf_printf(&b, "<p class=\"note\">%zu link%s in the log %s not "
			   "http(s) (or too long) and %s not shown.</p>\n",
			   all->bad_urls, all->bad_urls == 1 ? "" : "s",
			   all->bad_urls == 1 ? "is" : "are",
			   all->bad_urls == 1 ? "is" : "are");
	if (!total)
		buf_puts(&b, "<p class=\"empty\">No calls yet.</p>\n");
	else
		buf_puts(&b, "<table id=\"calls\"><thead><tr><th>Time (UTC)</th>"
			 "<th>Recipient</th><th>Outcome</th><th class=\"n\">"
			 "Duration</th><th>Sentiment</th><th>Summary</th>"
			 "<th>Transcript</th><th>Recording</th></tr></thead>"
			 "<tbody>\n");
	for (i = 0; i < all->n && shown < REPORT_CALLS_MAX; i++) {
		const struct call *x = &all->v[i];
		long idx = -1;
		if (oc && (int)x->outcome != oc)
			continue;
		shown++;
		if (x->key) {
			struct recipient r;
			memset(&r, 0, sizeof(r));
			r.key = x->key;
			audience_phone(e164, &r);
			calls_mask_phone(phone, sizeof(phone), e164);
			idx = cs->aud ? state_find(cs, x->key) : -1;
		} else
			snprintf(phone, sizeof(phone), "-");
		time_format_utc(tsb, x->ts);
		buf_printf(&b, "<tr data-outcome=\"%s\"><td>%s</td><td>%s",
			   x->outcome == OUT_NONE ? "none"
			   : outcome_names[x->outcome], tsb, phone);
		if (idx >= 0 && (size_t)idx < cs->aud->n)
			buf_printf(&b, " <span class=\"sub\">row %u</span>",
				   cs->aud->r[idx].line);
		buf_printf(&b, "</td><td>%s</td><td class=\"n\">%ld:%02ld</td>"
			   "<td>%s</td><td class=\"sum\" dir=\"auto\">",
			   x->outcome == OUT_NONE ? "-" : outcome_names[x->outcome],
			   x->duration_s / 60, x->duration_s % 60,
			   x->sentiment ? x->sentiment : "-");
		html_put(&b, x->summary ? x->summary : "-");
		buf_puts(&b, "</td>");
		link_cell(&b, x->transcript_url, "transcript");
		link_cell(&b, x->recording_url, "recording");
		buf_puts(&b, "</tr>\n");
	}
	if (total)
		buf_puts(&b, "</tbody></table>\n");
	page_foot(&b, rp, 0);
	if (oc)
		snprintf(rel, sizeof(rel), "%s/calls/%s/%s.html", t->name, rc->id,
			 outcome_names[oc]);
	else
		snprintf(rel, sizeof(rel), "%s/calls/%s.html", t->name, rc->id);
	rc2 = emit(rp, rel, &b);
	buf_release(&b);
	return rc2;
}

/*
 * The conversations pages of campaign rc: all its calls, and one page per
 * outcome that occurs. *n_calls is the number of calls.
 */
static int calls_page(struct report *rp, const struct tab *t,
		      const struct repo_campaign *rc, struct src *s,
		      const struct csummary *sum, const struct cstate *cs,
		      size_t *n_calls)
{
	struct calls all;
	size_t per[OUT_FAILED + 1], i;
	char dir[4400];
	int k, rc2;

	*n_calls = 0;
	if ((rc2 = calls_load(&all, s, rc->id)))
		return rc2;
	*n_calls = all.n;
	memset(per, 0, sizeof(per));
	for (i = 0; i < all.n; i++)
		if (all.v[i].outcome <= OUT_FAILED)
			per[all.v[i].outcome]++;
	rc2 = calls_page_one(rp, t, rc, sum, cs, &all, per, OUT_NONE);
	for (k = OUT_CONNECTED; !rc2 && k <= OUT_FAILED; k++) {
		if (!per[k])
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/calls/%s", rp->out, t->name, rc->id);
		if ((rc2 = dir_create(dir)))
			break;
		rc2 = calls_page_one(rp, t, rc, sum, cs, &all, per, k);
	}
	calls_release(&all);
	return rc2;
}

/* The index row of a campaign, into its tab's panel. */
static int index_row(struct report *rp, size_t ti, const struct csummary *sum)
{
	struct buf *b = &rp->panel[ti];
	size_t off = b->len;

	buf_puts(b, "<tr data-name=\"");
	html_put(b, sum->name);
	buf_puts(b, "\" data-provider=\"");
	html_put(b, sum->provider);
	buf_printf(b, "\" data-status=\"%s\"><td class=\"name\" dir=\"auto\">"
		   "<a href=\"%s/", status_names[sum->st], tabs[ti].name);
	html_put(b, sum->id);
	buf_puts(b, ".html\">");
	html_put(b, sum->name);
	buf_puts(b, "</a></td><td>");
	html_put(b, sum->provider);
	buf_puts(b, "</td><td>");
	html_put(b, sum->audience);
	buf_puts(b, "</td><td>");
	chip(b, sum->st);
	buf_printf(b, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
		   "<td class=\"n\">%zu</td><td>", sum->connected, sum->answered,
		   sum->noanswer);
	html_put(b, sum->created);
	buf_puts(b, "</td></tr>\n");
	if (rp->rows[ti] == rp->rowalloc[ti]) {
		size_t na = rp->rowalloc[ti] ? rp->rowalloc[ti] * 2 : 64;
		struct rowref *v = realloc(rp->rowv[ti], na * sizeof(*v));
		if (!v)
			return gd_error_set("out of memory");
		rp->rowv[ti] = v;
		rp->rowalloc[ti] = na;
	}
	rp->rowv[ti][rp->rows[ti]].st = sum->st;
	snprintf(rp->rowv[ti][rp->rows[ti]].provider,
		 sizeof(rp->rowv[ti][0].provider), "%s", sum->provider);
	rp->rowv[ti][rp->rows[ti]].off = off;
	rp->rowv[ti][rp->rows[ti]].len = b->len - off;
	rp->rows[ti]++;
	return 0;
}

/* Every campaign of one tab: its pages and its index rows. */
static int run_tab(struct report *rp, size_t ti, struct src *base)
{
	const struct tab *t = &tabs[ti];
	struct names n = { NULL, 0 };
	struct diags d = { 0 };
	struct repo *r = NULL;
	struct src *s = base;
	size_t i;
	int rc = 0, err;
	unsigned tab = 0;

	if (ti) {
		err = base->list(base, t->top, &n);
		names_release(&n);
		if (err == GD_ENOTFOUND)
			return 0;
		if (err) { /* e.g. a file named archived: the tab stays empty */
			fprintf(stderr, "gitdial report: %s/ skipped: %s\n", t->top,
				gd_error_last());
			return 0;
		}
		tab = !strcmp(t->top, "archived") ? REPO_ARCHIVED : REPO_DELETED;
	}
	if ((err = repo_load(&r, s, NULL, REPO_AUDIENCE | tab, &d))) {
		rc = gd_error_set("gitdial.json is invalid (gitdial validate)");
		goto cleanup;
	}
	for (i = 0; !rc && i < r->n; i++) {
		struct repo_campaign *c = &r->v[i];
		struct csummary sum;
		struct cstate cs;
		if (!c->c) {
			rp->broken[ti]++;
			continue;
		}
		if (!(rc = summary_fill(&sum, &cs, r, c, s, rp->now))) {
			provider_note(rp, sum.provider);
			rc = index_row(rp, ti, &sum);
			size_t n_calls = 0;
			if (!rc)
				rc = calls_page(rp, t, c, s, &sum, &cs, &n_calls);
			if (!rc)
				rc = campaign_page(rp, t, r, c, s, &sum, &cs,
						   n_calls);
		}
		state_release(&cs);
	}
cleanup:
	repo_free(r);
	diags_release(&d);
	return rc;
}

static const char index_heads[] =
	"<thead><tr><th>Name</th><th>Provider</th><th>Audience</th>"
	"<th>Status</th><th class=\"n\">Connected</th><th class=\"n\">"
	"Answered</th><th class=\"n\">No answer</th><th>Created</th>"
	"</tr></thead>\n";

static void filter_box(struct buf *b, const char *name, const char *label,
		       const char *const *values, const char *const *labels,
		       size_t n)
{
	size_t i;

	buf_printf(b, "<details class=\"ms\" id=\"f-%s\"><summary data-label=\"%s\">"
		   "%s</summary><div class=\"opts\">\n", name, label, label);
	for (i = 0; i < n; i++) {
		buf_printf(b, "<label><input type=\"checkbox\" name=\"%s\" value=\"",
			   name);
		html_put(b, values[i]);
		buf_puts(b, "\"> ");
		html_put(b, labels[i]);
		buf_puts(b, "</label>\n");
	}
	buf_puts(b, "</div></details>\n");
}

/* The page of tab ti without JavaScript: index.html, archived.html, deleted.html. */
static const char *tab_page(size_t ti)
{
	static const char *const pages[] = { "index.html", "archived.html",
		"deleted.html" };
	return pages[ti];
}

/* A provider name that can be part of a file name (they are an enum). */
static int provider_plain(const char *p)
{
	size_t i;

	for (i = 0; p[i]; i++)
		if (!(p[i] >= 'a' && p[i] <= 'z'))
			return 0;
	return i > 0 && i < 24;
}

/*
 * The plain links that filter tab ti without JavaScript: one page per
 * status and per provider (list-<tab>-status-<s>.html,
 * list-<tab>-provider-<p>.html), each with its count; cur marks the one
 * being shown.
 */
static void filter_links(struct buf *b, const struct report *rp, size_t ti,
			 const char *cur)
{
	size_t i, j, n;
	char name[96];

	buf_printf(b, "<nav class=\"filters\" aria-label=\"Filters\"><span>Status:"
		   "</span> <a href=\"%s\"%s>All</a>", tab_page(ti),
		   cur ? "" : " aria-current=\"page\"");
	for (i = 1; status_names[i]; i++) {
		for (j = n = 0; j < rp->rows[ti]; j++)
			n += rp->rowv[ti][j].st == (enum status)i;
		snprintf(name, sizeof(name), "list-%s-status-%s.html", tabs[ti].name,
			 status_names[i]);
		buf_printf(b, " <a href=\"%s\"%s>%s</a>&nbsp;<span class=\"count\">"
			   "%zu</span>", name, cur && !strcmp(cur, name)
			   ? " aria-current=\"page\"" : "", status_labels[i], n);
	}
	buf_puts(b, " <span>Provider:</span>");
	for (i = 0; i < rp->n_providers; i++) {
		if (!provider_plain(rp->providers[i]))
			continue;
		for (j = n = 0; j < rp->rows[ti]; j++)
			n += !strcmp(rp->rowv[ti][j].provider, rp->providers[i]);
		snprintf(name, sizeof(name), "list-%s-provider-%s.html",
			 tabs[ti].name, rp->providers[i]);
		buf_printf(b, " <a href=\"%s\"%s>%s</a>&nbsp;<span class=\"count\">"
			   "%zu</span>", name, cur && !strcmp(cur, name)
			   ? " aria-current=\"page\"" : "", rp->providers[i], n);
	}
	buf_puts(b, "</nav>\n");
}

/* The tab links: plain pages, switched in place when JavaScript runs. */
static void tab_links(struct buf *b, const struct report *rp, size_t sel,
		      int script)
{
	size_t i;

	buf_puts(b, "<div role=\"tablist\" aria-label=\"Campaigns\">\n");
	for (i = 0; i < NTABS; i++)
		buf_printf(b, "<a role=\"tab\" id=\"tab-%s\" href=\"%s\"%s%s%s "
			   "aria-selected=\"%s\">%s<span class=\"count\">%zu</span>"
			   "</a>\n", tabs[i].name, tab_page(i),
			   script ? " aria-controls=\"panel-" : "",
			   script ? tabs[i].name : "", script ? "\"" : "",
			   i == sel ? "true" : "false", tabs[i].label, rp->rows[i]);
	buf_puts(b, "</div>\n");
}

/*
 * The campaigns pages: index.html, archived.html and deleted.html hold
 * every tab (the script switches among them in place) with tab sel shown;
 * without JavaScript the tabs are links to each other and the filters
 * links to the list- pages.
 */
static int index_page(struct report *rp, size_t sel)
{
	struct buf b = BUF_INIT(PAGE_MAX);
	const char *pv[32];
	size_t i;
	int rc;

	page_head(&b, rp, "Campaigns - gitdial");
	buf_puts(&b, "<h1>Campaigns</h1>\n<p class=\"sub\">Outbound voice "
		 "campaigns of this repository, as the runner sees them.</p>\n"
		 "<div class=\"controls\" hidden>\n<input id=\"q\" type=\"search\" "
		 "maxlength=\"120\" placeholder=\"Search by name\" "
		 "aria-label=\"Search campaigns by name\" autocomplete=\"off\">\n");
	for (i = 0; i < rp->n_providers; i++)
		pv[i] = rp->providers[i];
	filter_box(&b, "provider", "Provider", pv, pv, rp->n_providers);
	filter_box(&b, "status", "Status", status_names + 1, status_labels + 1, 7);
	buf_puts(&b, "</div>\n<noscript><p class=\"sub\">Search needs JavaScript; "
		 "the tabs and the status and provider links below work without "
		 "it.</p></noscript>\n");
	tab_links(&b, rp, sel, 1);
	for (i = 0; i < NTABS; i++) {
		buf_printf(&b, "<section role=\"tabpanel\" id=\"panel-%s\" "
			   "aria-labelledby=\"tab-%s\"%s>\n", tabs[i].name,
			   tabs[i].name, i != sel ? " hidden" : "");
		filter_links(&b, rp, i, NULL);
		if (rp->broken[i])
			buf_printf(&b, "<p class=\"note\">%zu campaign folder%s "
				   "under %s/ could not be read and %s not shown "
				   "(run <code>gitdial validate</code>).</p>\n",
				   rp->broken[i], rp->broken[i] > 1 ? "s" : "",
				   tabs[i].top, rp->broken[i] > 1 ? "are" : "is");
		buf_printf(&b, "<table>\n%s<tbody>\n", index_heads);
		buf_put(&b, rp->panel[i].ptr ? rp->panel[i].ptr : "", rp->panel[i].len);
		buf_printf(&b, "</tbody></table>\n<p class=\"empty\"%s>No %s "
			   "campaigns%s.</p>\n</section>\n", rp->rows[i] ? " hidden" : "",
			   i ? tabs[i].name : "active",
			   rp->rows[i] ? " match the search and filters" : "");
	}
	page_foot(&b, rp, 1);
	rc = emit(rp, tab_page(sel), &b);
	buf_release(&b);
	return rc;
}

/*
 * One filtered list without JavaScript: tab ti's campaigns whose status
 * is st (provider NULL) or whose provider is provider. No script.
 */
static int list_page(struct report *rp, size_t ti, enum status st,
		     const char *provider)
{
	struct buf b = BUF_INIT(PAGE_MAX);
	char name[96], title[160];
	size_t j, n = 0;
	int rc;

	if (provider)
		snprintf(name, sizeof(name), "list-%s-provider-%s.html",
			 tabs[ti].name, provider);
	else
		snprintf(name, sizeof(name), "list-%s-status-%s.html",
			 tabs[ti].name, status_names[st]);
	snprintf(title, sizeof(title), "%s campaigns, %s %s - gitdial",
		 tabs[ti].label, provider ? "provider" : "status",
		 provider ? provider : status_labels[st]);
	page_head(&b, rp, title);
	buf_printf(&b, "<h1>Campaigns</h1>\n<p class=\"sub\">%s campaigns whose %s "
		   "is %s.</p>\n", tabs[ti].label, provider ? "provider" : "status",
		   provider ? provider : status_labels[st]);
	tab_links(&b, rp, ti, 0);
	filter_links(&b, rp, ti, name);
	buf_printf(&b, "<table id=\"list\">\n%s<tbody>\n", index_heads);
	for (j = 0; j < rp->rows[ti]; j++) {
		const struct rowref *x = &rp->rowv[ti][j];
		if (provider ? strcmp(x->provider, provider) : x->st != st)
			continue;
		buf_put(&b, rp->panel[ti].ptr + x->off, x->len);
		n++;
	}
	buf_printf(&b, "</tbody></table>\n");
	if (!n)
		buf_printf(&b, "<p class=\"empty\">No %s campaigns with that %s.</p>\n",
			   ti ? tabs[ti].name : "active",
			   provider ? "provider" : "status");
	page_foot(&b, rp, 0);
	rc = emit(rp, name, &b);
	buf_release(&b);
	return rc;
}

/* Every page of the campaigns list: the tabs and the filtered lists. */
static int index_pages(struct report *rp)
{
	size_t ti, i;
	int rc = 0;

	for (ti = 0; !rc && ti < NTABS; ti++) {
		rc = index_page(rp, ti);
		for (i = 1; !rc && status_names[i]; i++)
			rc = list_page(rp, ti, (enum status)i, NULL);
		for (i = 0; !rc && i < rp->n_providers; i++)
			if (provider_plain(rp->providers[i]))
				rc = list_page(rp, ti, ST_DRAFT, rp->providers[i]);
	}
	return rc;
}

/* The CSP: nothing may load; only our own script (by hash) may run. */
static int csp_make(char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int len = 0;

	if (!EVP_Digest(js, strlen(js), md, &len, EVP_sha256(), NULL))
		return gd_error_set("cannot hash the page script");
	EVP_EncodeBlock(b64, md, (int)len);
	snprintf(out, n, "default-src 'none'; style-src 'unsafe-inline'; "
		 "img-src data:; script-src 'sha256-%s'; base-uri 'none'; "
		 "form-action 'none'", b64);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "repo", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report rp;
	struct store *st = NULL;
	struct src s;
	git_oid head;
	const char *root = ".";
	char dir[4096];
	size_t i;
	int c, rc = 1, found, have_src = 0, fmt = FMT_TEXT;

	memset(&rp, 0, sizeof(rp));
	rp.now = time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': rp.out = optarg; break;
		case 'r': root = optarg; break;
		case 'n':
			if (time_parse_rfc3339(&rp.now, optarg))
				return usage_error("report", usage, "--now: bad time '%s'",
						   optarg);
			break;
		case 'f':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("report", usage, "unknown format '%s'",
						   optarg);
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("report", usage, "bad option");
		}
	}
	if (optind < argc)
		return usage_error("report", usage, "unexpected argument '%s'",
				   argv[optind]);
	if (!rp.out || !*rp.out)
		return usage_error("report", usage, "--out DIR is required");
	for (i = 0; i < NTABS; i++)
		buf_init(&rp.panel[i], PAGE_MAX);
	if (csp_make(rp.csp, sizeof(rp.csp)))
		goto fail;
	if (store_open(&st, root) || store_sync(st, NULL, &head, &found))
		goto fail;
	if (!found) {
		gd_error_set("the repository '%s' has no commit yet", root);
		goto fail;
	}
	if (src_init_tree(&s, st, &head))
		goto fail;
	have_src = 1;
	git_oid_tostr(rp.commit, sizeof(rp.commit), &head);
	snprintf(rp.branch, sizeof(rp.branch), "%s", store_branch(st));
	for (i = 0; i < NTABS; i++) {
		snprintf(dir, sizeof(dir), "%s/%s/calls", rp.out, tabs[i].name);
		if (dir_create(dir))
			goto fail;
	}
	for (i = 0; i < NTABS; i++)
		if (run_tab(&rp, i, &s))
			goto fail;
	if (index_pages(&rp))
		goto fail;
	if (fmt == FMT_JSON) {
		struct buf j = BUF_INIT(1 << 16);
		char idx[4200];
		snprintf(idx, sizeof(idx), "%s/index.html", rp.out);
		buf_puts(&j, "{\"index\":");
		buf_put_json_string(&j, idx);
		buf_printf(&j, ",\"commit\":\"%s\",\"pages\":%zu,\"active\":%zu,"
			   "\"archived\":%zu,\"deleted\":%zu,\"unreadable\":%zu}",
			   rp.commit, rp.pages, rp.rows[0], rp.rows[1], rp.rows[2],
			   rp.broken[0] + rp.broken[1] + rp.broken[2]);
		if (buf_check(&j)) {
			buf_release(&j);
			goto fail;
		}
		printf("%s\n", j.ptr);
		buf_release(&j);
	} else
		printf("report: %s/index.html (%zu campaign page%s)\n", rp.out,
		       rp.pages, rp.pages == 1 ? "" : "s");
	rc = 0;
	goto cleanup;
fail:
	fprintf(stderr, "gitdial report: %s\n", gd_error_last());
cleanup:
	for (i = 0; i < NTABS; i++) {
		buf_release(&rp.panel[i]);
		free(rp.rowv[i]);
	}
	if (have_src)
		src_release_tree(&s);
	store_free(st);
	return rc;
}
