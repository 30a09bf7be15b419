/*
 * gitdial new: a new campaign, as a five-step wizard on a terminal
 * (account and caller ID, script, audience, pacing, schedule) or wholly
 * from flags. Each answer is checked when it is given, with the real
 * loaders (an audience file is read and its problems shown by line); the
 * result must pass the checks of gitdial validate before anything is
 * written. It becomes one commit on a new branch campaign/<id> (libgit2,
 * no work tree: the checked-out branch does not move), pushed with
 * --remote, ready for a pull request.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audience.h"
#include "author.h"
#include "cmd.h"
#include "dnc.h"
#include "err.h"
#include "newcamp.h"
#include "publish.h"
#include "repo.h"
#include "store.h"
#include "util.h"
#include "banned.h"

static const char usage[] =
	"gitdial new [--repo PATH] [--remote NAME] [--base BRANCH] [--now T]\n"
	"            [--author \"Name <email>\"] [--yes] [--format text|json]\n"
	"            [--id ID] [--name TEXT] [--account NAME] [--caller-id E164]\n"
	"            [--script-mode agent|override] [--script-text TEXT | --script-file PATH]\n"
	"            [--audience FILE | --segment NAME]\n"
	"            [--concurrency N] [--window HH:MM-HH:MM] [--days mon,tue|mon-fri]\n"
	"            [--retries N] [--cooldown M[,M...]] [--retry-on no_answer,busy]\n"
	"            [--voicemail hang_up|leave_message] [--start-at T] [--end-at T]";

#define LINE_MAX_BYTES (NEWCAMP_TEXT_MAX + 2)
#define STEP_BACK 1 /* an answer asked to go back a step */
#define SHOW_PROBLEMS 10

struct flags {
	const char *id, *name, *account, *caller_id, *mode, *text, *text_file;
	const char *audience, *segment, *concurrency, *window, *days;
	const char *retries, *cooldown, *retry_on, *voicemail, *start_at, *end_at;
	const char *repo, *remote, *base, *author;
	int yes, json;
	time_t now;
};

struct wiz {
	struct newcamp nc;
	const struct flags *f;
	int interactive;
	int revisit;   /* asking again: flags are no longer answers */
	unsigned done; /* steps answered at least once (bit per step) */
	FILE *out;   /* the conversation: stdout, or stderr with --format json */
	struct store *st;
	git_oid base;
	char base_name[256]; /* the branch the campaign branch starts from */
	struct src src;
	struct repo *repo; /* gitdial.json of the base */
	struct dnc *dnc;
	struct names segments;
	/* the audience as chosen */
	char aud_answer[4096]; /* what was typed: a path or segment:NAME */
	char aud_label[4096];  /* where it was read from, for messages */
	struct buf aud_data;   /* a file's bytes, copied into the campaign */
	char *columns[AUDIENCE_COLUMNS_MAX];
	int n_columns;
	size_t rows, to_call, invalid, duplicate, no_consent, on_dnc;
	char text_file_data[NEWCAMP_TEXT_MAX];
};

/*
 * Checks one answer (the check_* functions below): applies it to w and
 * returns 0, or leaves w as it was and returns -1 with the reason in why
 * (n bytes), phrased to be shown as it is under the question. A check may
 * print notes (an audience's counts) to w->out.
 */
typedef int (*check_fn)(struct wiz *w, const char *in, char *why, size_t n);

static void columns_release(struct wiz *w)
{
	int i;

	for (i = 0; i < w->n_columns; i++)
		free(w->columns[i]);
	w->n_columns = 0;
}

static void trim_line(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

/*
 * One answer. On the first pass a flag's value is the answer (asked
 * again on a terminal when it is wrong); without a flag the question is
 * asked on a terminal, else the default stands. check applies an answer
 * to w or says why not. Returns 0, STEP_BACK, or an error (a wrong flag
 * without a terminal, or the input ended).
 */
static int answer(struct wiz *w, const char *flag, const char *preset,
		  const char *question, const char *def, check_fn check)
{
	static char line[LINE_MAX_BYTES];
	char why[1024];
	int rc;

	why[0] = '\0';
	if (preset && !w->revisit) {
		if (!(rc = check(w, preset, why, sizeof(why)))) {
			if (w->interactive)
				fprintf(w->out, "  %s: %s (--%s)\n", question, preset,
					flag);
			return 0;
		}
		if (!w->interactive)
			return gd_error_set("--%s: %s", flag, why);
		fprintf(w->out, "  --%s: %s\n", flag, why);
	} else if (!w->interactive) {
		if (!check(w, def, why, sizeof(why)))
			return 0;
		return gd_error_set("--%s: %s", flag, why);
	}
	for (;;) {
		if (*def)
			fprintf(w->out, "  %s [%s]: ", question, def);
		else
			fprintf(w->out, "  %s: ", question);
		fflush(w->out);
		if (!fgets(line, sizeof(line), stdin)) {
			fputc('\n', w->out); /* the prompt's line stays open */
			return gd_error_set("the input ended; nothing was written");
		}
		if (!strchr(line, '\n') && !feof(stdin)) {
			int c;
			while ((c = getchar()) != EOF && c != '\n')
				;
			fprintf(w->out, "  that is too long (at most %d bytes)\n",
				NEWCAMP_TEXT_MAX);
			continue;
		}
		trim_line(line);
		rc = check(w, *line ? line : def, why, sizeof(why));
		if (rc == 0 || rc == STEP_BACK)
			return rc;
		fprintf(w->out, "  %s\n", why);
	}
}

/* Loads the campaign as answered so far with the real loader. */
static int probe(struct wiz *w, struct campaign **out, struct diags *d)
{
	struct newcamp *tmp = malloc(sizeof(*tmp));
	struct buf b = BUF_INIT(1u << 20);
	int rc;

	*out = NULL;
	if (!tmp)
		return gd_error_set("out of memory");
	*tmp = w->nc;
	if (!tmp->audience_file[0] && !tmp->segment[0])
		snprintf(tmp->segment, sizeof(tmp->segment), "not-chosen-yet");
	if (!tmp->account[0] && w->repo->cfg->n_accounts)
		snprintf(tmp->account, sizeof(tmp->account), "%s",
			 w->repo->cfg->accounts[0].name);
	rc = newcamp_json(&b, tmp);
	if (!rc)
		rc = campaign_load(out, id_valid(tmp->id) ? tmp->id : "probe",
				   "campaign.json", b.ptr, b.len, w->repo->cfg, d);
	buf_release(&b);
	free(tmp);
	return rc;
}

/* The first error of d whose field starts with prefix, into why. */
static int first_error(const struct diags *d, const char *prefix, char *why,
		       size_t n)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == DIAG_ERROR && d->v[i].field &&
		    !strncmp(d->v[i].field, prefix, strlen(prefix))) {
			snprintf(why, n, "%s", d->v[i].msg);
			return -1;
		}
	return 0;
}

/* ---- step 1: name, id, account, caller ID ---- */

static int check_name(struct wiz *w, const char *v, char *why, size_t n)
{
	size_t len = utf8_len(v), i;

	if (utf8_check(v, strlen(v))) {
		snprintf(why, n, "the name is not valid UTF-8");
		return -1;
	}
	if (len == 0 || len > 120) {
		snprintf(why, n, "a name of 1-120 characters is needed");
		return -1;
	}
	if (campaign_name_blank(v)) {
		snprintf(why, n, "the name is blank (only spaces)");
		return -1;
	}
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20) {
			snprintf(why, n, "the name has a control character");
			return -1;
		}
	snprintf(w->nc.name, sizeof(w->nc.name), "%s", v);
	return 0;
}

static int tree_has(struct wiz *w, const char *path)
{
	struct names n = { NULL, 0 };
	int rc = w->src.list(&w->src, path, &n);

	names_release(&n);
	return rc == 0;
}

static int check_id(struct wiz *w, const char *v, char *why, size_t n)
{
	static const char *const dirs[] = { "campaigns", "archived", "deleted" };
	char path[256];
	size_t i;

	if (!id_valid(v)) {
		snprintf(why, n, "\"%s\" is not a campaign id (expected lower-case "
			 "letters, digits and '-', starting with a letter or digit, "
			 "at most 64: [a-z0-9][a-z0-9-]{0,63})", v);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], v);
		if (tree_has(w, path)) {
			snprintf(why, n, "a campaign \"%s\" exists already (%s/); "
				 "choose another id", v, path);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "campaign/%s", v);
	if (store_branch_exists(w->st, path)) {
		snprintf(why, n, "a branch campaign/%s exists already; choose "
			 "another id (or delete that branch)", v);
		return -1;
	}
	snprintf(w->nc.id, sizeof(w->nc.id), "%s", v);
	return 0;
}

static const struct account *pick_account(struct wiz *w, const char *v)
{
	const struct config *c = w->repo->cfg;
	char *end;
	long i = strtol(v, &end, 10);

	if (*v && !*end && i >= 1 && (size_t)i <= c->n_accounts)
		return &c->accounts[i - 1];
	return config_account(c, v);
}

static int check_account(struct wiz *w, const char *v, char *why, size_t n)
{
	const struct account *a = pick_account(w, v);
	size_t i, len = 0;

	if (!a) {
		char names[512] = "";
		for (i = 0; i < w->repo->cfg->n_accounts; i++) {
			snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
				 w->repo->cfg->accounts[i].name);
			len = strlen(names);
		}
		snprintf(why, n, "%s\"%s\" is not an account in gitdial.json "
			 "(accounts: %s)", *v ? "" : "which account? ", v, names);
		return -1;
	}
	if (strcmp(w->nc.account, a->name))
		w->nc.caller_id[0] = '\0'; /* another account's numbers */
	snprintf(w->nc.account, sizeof(w->nc.account), "%s", a->name);
	return 0;
}

static int check_caller(struct wiz *w, const char *v, char *why, size_t n)
{
	const struct account *a = config_account(w->repo->cfg, w->nc.account);
	char p[PHONE_MAX], list[512] = "";
	const char *bad;
	size_t i, len = 0;
	char *end;
	long k = strtol(v, &end, 10);

	if (!a->n_caller_ids) {
		snprintf(why, n, "account \"%s\" has no caller_ids in gitdial.json",
			 a->name);
		return -1;
	}
	if (*v && !*end && k >= 1 && (size_t)k <= a->n_caller_ids) {
		snprintf(w->nc.caller_id, sizeof(w->nc.caller_id), "%s",
			 a->caller_ids[k - 1]);
		return 0;
	}
	for (i = 0; i < a->n_caller_ids; i++) {
		snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
			 a->caller_ids[i]);
		len = strlen(list);
	}
	if (phone_normalize(p, v, strlen(v), &bad)) {
		snprintf(why, n, "caller ID \"%s\" %s (expected one of %s)", v, bad,
			 list);
		return -1;
	}
	for (i = 0; i < a->n_caller_ids; i++)
		if (!strcmp(a->caller_ids[i], p)) {
			snprintf(w->nc.caller_id, sizeof(w->nc.caller_id), "%s", p);
			return 0;
		}
	snprintf(why, n, "%s is not one of account \"%s\"'s caller IDs (%s)", p,
		 a->name, list);
	return -1;
}

static int step_account(struct wiz *w)
{
	const struct config *c = w->repo->cfg;
	const struct account *a;
	char def[65];
	size_t i;
	int rc;

	if (w->interactive)
		fprintf(w->out, "\nStep 1/5: campaign, account and caller ID\n");
	if ((rc = answer(w, "name", w->f->name, "Campaign name", w->nc.name,
			 check_name)))
		return rc;
	if (w->nc.id[0])
		snprintf(def, sizeof(def), "%s", w->nc.id);
	else
		newcamp_slug(def, w->nc.name);
	if ((rc = answer(w, "id", w->f->id, "Campaign id (folder and branch name)",
			 def, check_id)))
		return rc;
	if (w->interactive && (!w->f->account || w->revisit))
		for (i = 0; i < c->n_accounts; i++)
			fprintf(w->out, "    %zu) %s (%s, at most %ld calls at once)\n",
				i + 1, c->accounts[i].name, c->accounts[i].provider,
				c->accounts[i].max_concurrency);
	snprintf(def, sizeof(def), "%s", w->nc.account[0] ? w->nc.account
		 : c->n_accounts == 1 ? c->accounts[0].name : "");
	if ((rc = answer(w, "account", w->f->account, "Account", def,
			 check_account)))
		return rc;
	a = config_account(c, w->nc.account);
	if (w->interactive && (!w->f->caller_id || w->revisit))
		for (i = 0; i < a->n_caller_ids; i++)
			fprintf(w->out, "    %zu) %s\n", i + 1, a->caller_ids[i]);
	return answer(w, "caller-id", w->f->caller_id, "Caller ID",
		      w->nc.caller_id[0] ? w->nc.caller_id
		      : a->n_caller_ids ? a->caller_ids[0] : "", check_caller);
}

/* ---- step 2: script ---- */

static int check_mode(struct wiz *w, const char *v, char *why, size_t n)
{
	if (!strcmp(v, "agent") || !strcmp(v, "a")) {
		w->nc.override = 0;
		return 0;
	}
	if (!strcmp(v, "override") || !strcmp(v, "o")) {
		w->nc.override = 1;
		return 0;
	}
	snprintf(why, n, "\"%s\" is not a script mode (expected agent: the "
		 "agent's own prompt, or override: your text on top of it)", v);
	return -1;
}

/* The script's placeholders that the chosen audience has no column for. */
static int placeholders_fit(struct wiz *w, const struct campaign *c, char *why,
			    size_t n)
{
	int i, j;

	if (!w->n_columns)
		return 0;
	for (i = 0; i < c->n_placeholders; i++) {
		for (j = 0; j < w->n_columns; j++)
			if (!strcmp(w->columns[j], c->placeholders[i]))
				break;
		if (j == w->n_columns) {
			char cols[1024] = "";
			size_t len = 0;
			for (j = 0; j < w->n_columns; j++) {
				snprintf(cols + len, sizeof(cols) - len, "%s%s",
					 j ? ", " : "", w->columns[j]);
				len = strlen(cols);
			}
			snprintf(why, n, "the script uses {{%s}} but %s has no such "
				 "column (columns: %s)", c->placeholders[i],
				 w->aud_label, cols);
			return -1;
		}
	}
	return 0;
}

static int check_text(struct wiz *w, const char *v, char *why, size_t n)
{
	struct campaign *c = NULL;
	struct diags d = { 0 };
	char old[sizeof(w->nc.script_text)];
	int rc = -1;

	if (!*v) {
		snprintf(why, n, "an override needs its text ({{column}} takes the "
			 "recipient's value from the audience)");
		return -1;
	}
	if (strlen(v) >= sizeof(w->nc.script_text)) {
		snprintf(why, n, "the text is longer than %zu bytes",
			 sizeof(w->nc.script_text) - 1);
		return -1;
	}
	if (utf8_check(v, strlen(v))) {
		snprintf(why, n, "the text is not valid UTF-8");
		return -1;
	}
	memcpy(old, w->nc.script_text, sizeof(old));
	snprintf(w->nc.script_text, sizeof(w->nc.script_text), "%s", v);
	probe(w, &c, &d);
	if (!first_error(&d, "script", why, n) &&
	    (!c || !placeholders_fit(w, c, why, n)))
		rc = 0;
	if (rc)
		memcpy(w->nc.script_text, old, sizeof(old));
	campaign_free(c);
	diags_release(&d);
	return rc;
}

static int step_script(struct wiz *w)
{
	const char *text = w->f->text_file ? w->text_file_data : w->f->text;
	const char *mode = w->f->mode ? w->f->mode : text ? "override" : NULL;
	char def[80];
	int rc;

	if (w->interactive)
		fprintf(w->out, "\nStep 2/5: script\n"
			"    agent: the voice agent's own prompt, as it is\n"
			"    override: your text on top of it; {{column}} takes the "
			"recipient's value\n");
	if ((rc = answer(w, "script-mode", mode, "Script mode (agent or override)",
			 w->nc.override ? "override" : "agent", check_mode)))
		return rc;
	if (!w->nc.override) {
		w->nc.script_text[0] = '\0';
		return 0;
	}
	/* a long text is shown cut; Enter keeps all of it */
	utf8_truncate(def, 61, w->nc.script_text);
	if (strlen(def) < strlen(w->nc.script_text)) {
		if (w->interactive && w->revisit)
			fprintf(w->out, "    now: %s\n", w->nc.script_text);
		snprintf(def, sizeof(def), "keep the text above");
	}
	rc = answer(w, w->f->text_file ? "script-file" : "script-text", text,
		    "Override text", def, check_text);
	return rc;
}

/* ---- step 3: audience ---- */

static int read_segment(struct wiz *w, const char *name, struct buf *data,
			char label[4096], char *why, size_t n)
{
	static const char *const ends[] = {
		".csv", ".csv.gz", ".csv.xz", ".csv.zst", ".zip", NULL
	};
	char want[128], list[1024] = "";
	size_t i, j, len = 0;

	if (!id_valid(name)) {
		snprintf(why, n, "\"%s\" is not a segment name ([a-z0-9][a-z0-9-]*)",
			 name);
		return -1;
	}
	for (j = 0; ends[j]; j++)
		for (i = 0; i < w->segments.n; i++) {
			snprintf(want, sizeof(want), "%s%s", name, ends[j]);
			if (strcmp(w->segments.v[i], want))
				continue;
			snprintf(label, 4096, "segments/%s", want);
			if (w->src.read(&w->src, label, data, AUDIENCE_MAX)) {
				snprintf(why, n, "%s: %s", label, gd_error_last());
				return -1;
			}
			return 0;
		}
	for (i = 0; i < w->segments.n; i++)
		if (audience_file_supported(w->segments.v[i])) {
			snprintf(list + len, sizeof(list) - len, "%s%.*s", len ? ", " : "",
				 (int)strcspn(w->segments.v[i], "."), w->segments.v[i]);
			len = strlen(list);
		}
	snprintf(why, n, "no segment \"%s\" in segments/ (%s%s)", name,
		 len ? "segments: " : "there are none", list);
	return -1;
}

/* The name the file gets in the campaign folder. */
static void folder_name(char out[129], const char *path)
{
	static const char *const ends[] = {
		".csv.gz", ".csv.xz", ".csv.zst", ".csv", ".zip", NULL
	};
	const char *base = strrchr(path, '/');
	size_t i, l;
	int ok = 1;

	base = base ? base + 1 : path;
	l = strlen(base);
	for (i = 0; i < l; i++)
		if (!((base[i] >= 'a' && base[i] <= 'z') ||
		      (base[i] >= 'A' && base[i] <= 'Z') ||
		      (base[i] >= '0' && base[i] <= '9') || base[i] == '.' ||
		      base[i] == '_' || base[i] == '-'))
			ok = 0;
	if (ok && l && l <= 128 && base[0] != '.' && strcmp(base, "campaign.json")) {
		snprintf(out, 129, "%s", base);
		return;
	}
	for (i = 0; ends[i]; i++) {
		size_t e = strlen(ends[i]);
		if (l > e && !strcmp(base + l - e, ends[i])) {
			snprintf(out, 129, "audience%s", ends[i]);
			return;
		}
	}
	snprintf(out, 129, "audience.csv");
}

static int read_file(const char *path, struct buf *data, char label[4096],
		     char *why, size_t n)
{
	struct stat sb;

	if (stat(path, &sb)) {
		snprintf(why, n, "cannot read \"%s\": no such file", path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, n, "\"%s\" is not a file", path);
		return -1;
	}
	if (!audience_file_supported(path)) {
		snprintf(why, n, "\"%s\" is not an audience file (expected .csv, "
			 ".csv.gz, .csv.xz, .csv.zst or .zip)", path);
		return -1;
	}
	if (file_read(data, path, AUDIENCE_MAX)) {
		snprintf(why, n, "cannot read \"%s\": %s", path, gd_error_last());
		return -1;
	}
	snprintf(label, 4096, "%s", path);
	return 0;
}

static void show_audience(struct wiz *w, const struct diags *d)
{
	size_t i, shown = 0;

	fprintf(w->out, "    %s: %zu row%s, %zu to call", w->aud_label, w->rows,
		w->rows == 1 ? "" : "s", w->to_call);
	if (w->invalid || w->duplicate || w->no_consent || w->on_dnc)
		fprintf(w->out, "; left out: %zu invalid, %zu duplicate, %zu without "
			"consent, %zu on the do-not-call list", w->invalid,
			w->duplicate, w->no_consent, w->on_dnc);
	fprintf(w->out, "\n");
	for (i = 0; i < d->n && shown < SHOW_PROBLEMS; i++, shown++)
		fprintf(w->out, "    line %lu: %s%s%s\n", d->v[i].line,
			d->v[i].field ? d->v[i].field : "",
			d->v[i].field ? ": " : "", d->v[i].msg);
	if (d->warnings > shown)
		fprintf(w->out, "    ... and %zu more row problem%s\n",
			d->warnings - shown, d->warnings - shown == 1 ? "" : "s");
}

static int check_audience(struct wiz *w, const char *v, char *why, size_t n)
{
	struct audience_opts o = { NULL, NULL, 0, NULL, NULL };
	struct audience *a = NULL;
	struct campaign *c = NULL;
	struct diags d = { 0 }, pd = { 0 };
	struct buf data = BUF_INIT(AUDIENCE_MAX);
	char *label = NULL;
	int rc = -1, i;
	size_t k, len;

	if (w->interactive && !strcmp(v, "back"))
		return STEP_BACK;
	if (!*v) {
		snprintf(why, n, "an audience is needed: a CSV file, or segment:NAME");
		return -1;
	}
	/* the default next time, even when it fails: "back" and fix the script */
	if (v != w->aud_answer)
		snprintf(w->aud_answer, sizeof(w->aud_answer), "%s", v);
	if (!(label = calloc(1, 4096))) {
		snprintf(why, n, "out of memory");
		return -1;
	}
	if (!strncmp(v, "segment:", 8) ? read_segment(w, v + 8, &data, label, why, n)
				       : read_file(v, &data, label, why, n))
		goto cleanup;
	probe(w, &c, &pd);
	o.campaign = c;
	if (audience_read(&a, label, data.ptr, data.len, &o, &d)) {
		/* the file is unusable: say why, all errors (they are few) */
		len = (size_t)snprintf(why, n, "%s cannot be used:", label);
		for (k = 0; k < d.n && len < n; k++)
			if (d.v[k].level == DIAG_ERROR) {
				snprintf(why + len, n - len, "\n    line %lu: %s%s%s",
					 d.v[k].line, d.v[k].field ? d.v[k].field : "",
					 d.v[k].field ? ": " : "", d.v[k].msg);
				len = strlen(why);
			}
		if (w->interactive && c && c->n_placeholders && len < n)
			snprintf(why + len, n - len, "\n  (another audience, or "
				 "'back' to change the script)");
		goto cleanup;
	}
	/* usable: it becomes the audience */
	buf_release(&w->aud_data);
	w->aud_data = data;
	buf_init(&data, AUDIENCE_MAX);
	snprintf(w->aud_label, sizeof(w->aud_label), "%s", label);
	columns_release(w);
	for (i = 0; i < a->n_columns; i++)
		if ((w->columns[w->n_columns] = strdup(a->columns[i])))
			w->n_columns++;
	w->rows = a->rows;
	w->invalid = a->n_invalid;
	w->duplicate = a->n_duplicate;
	w->no_consent = a->n_no_consent;
	w->on_dnc = 0;
	for (k = 0; k < a->n; k++)
		if (!(a->r[k].flags & RCP_NO_CONSENT) && dnc_contains(w->dnc, a->r[k].key))
			w->on_dnc++;
	w->to_call = a->n - w->no_consent - w->on_dnc;
	if (!strncmp(v, "segment:", 8)) {
		snprintf(w->nc.segment, sizeof(w->nc.segment), "%s", v + 8);
		w->nc.audience_file[0] = '\0';
	} else {
		folder_name(w->nc.audience_file, v);
		w->nc.segment[0] = '\0';
	}
	diags_sort(&d);
	show_audience(w, &d);
	rc = 0;
cleanup:
	audience_free(a);
	campaign_free(c);
	diags_release(&d);
	diags_release(&pd);
	buf_release(&data);
	free(label);
	return rc;
}

static int step_audience(struct wiz *w)
{
	const char *preset = w->f->audience;
	char seg[80];
	size_t i;

	if (w->f->segment) {
		snprintf(seg, sizeof(seg), "segment:%s", w->f->segment);
		preset = seg;
	}
	if (w->interactive) {
		fprintf(w->out, "\nStep 3/5: audience\n"
			"    a CSV file (phone column required; .csv, .csv.gz, "
			".csv.xz, .csv.zst, .zip), or segment:NAME\n");
		for (i = 0; i < w->segments.n; i++)
			if (audience_file_supported(w->segments.v[i]))
				fprintf(w->out, "    segment:%.*s\n",
					(int)strcspn(w->segments.v[i], "."),
					w->segments.v[i]);
	}
	return answer(w, w->f->segment ? "segment" : "audience", preset,
		      "Audience", w->aud_answer, check_audience);
}

/* ---- step 4: pacing ---- */

static int check_concurrency(struct wiz *w, const char *v, char *why, size_t n)
{
	const struct account *a = config_account(w->repo->cfg, w->nc.account);

	if (newcamp_parse_long(&w->nc.concurrency, v, 1, 1000, why, n))
		return -1;
	if (a && w->nc.concurrency > a->max_concurrency)
		fprintf(w->out, "    note: account %s places at most %ld calls at "
			"once (shared with its other campaigns)\n", a->name,
			a->max_concurrency);
	return 0;
}

static int check_window(struct wiz *w, const char *v, char *why, size_t n)
{
	return newcamp_parse_window(&w->nc.win_start, &w->nc.win_end, v, why, n);
}

static int check_days(struct wiz *w, const char *v, char *why, size_t n)
{
	return newcamp_parse_days(&w->nc.days, v, why, n);
}

static int check_retries(struct wiz *w, const char *v, char *why, size_t n)
{
	return newcamp_parse_long(&w->nc.retries, v, 0, 10, why, n);
}

static int check_cooldown(struct wiz *w, const char *v, char *why, size_t n)
{
	return newcamp_parse_cooldown(w->nc.cooldown, &w->nc.n_cooldown, v, why, n);
}

static int check_retry_on(struct wiz *w, const char *v, char *why, size_t n)
{
	return newcamp_parse_outcomes(&w->nc.retry_on, v, why, n);
}

static int check_voicemail(struct wiz *w, const char *v, char *why, size_t n)
{
	if (!strcmp(v, "hang_up")) {
		w->nc.leave_message = 0;
		return 0;
	}
	if (strcmp(v, "leave_message")) {
		snprintf(why, n, "\"%s\" is not a voicemail choice (expected hang_up "
			 "or leave_message)", v);
		return -1;
	}
	/* the agent leaves the message (its stream after the beep); a
	 * voicemail_message to speak instead is written in campaign.json */
	w->nc.leave_message = 1;
	return 0;
}

static int step_pacing(struct wiz *w)
{
	const struct account *a = config_account(w->repo->cfg, w->nc.account);
	char def[128];
	int rc;

	if (w->interactive)
		fprintf(w->out, "\nStep 4/5: pacing (account %s: at most %ld calls "
			"at once)\n", a->name, a->max_concurrency);
	snprintf(def, sizeof(def), "%ld", w->nc.concurrency);
	if ((rc = answer(w, "concurrency", w->f->concurrency,
			 "Calls at once (concurrency)", def, check_concurrency)))
		return rc;
	if (w->nc.win_start >= 0)
		snprintf(def, sizeof(def), "%02d:%02d-%02d:%02d", w->nc.win_start / 60,
			 w->nc.win_start % 60, w->nc.win_end / 60, w->nc.win_end % 60);
	else
		snprintf(def, sizeof(def), "none");
	if ((rc = answer(w, "window", w->f->window, "Calling window, recipient's "
			 "local time (HH:MM-HH:MM, or none: the legal window only)",
			 def, check_window)))
		return rc;
	if (w->nc.win_start >= 0) {
		newcamp_days_text(def, sizeof(def), w->nc.days);
		if ((rc = answer(w, "days", w->f->days, "Days (mon,tue,... or "
				 "mon-fri, or every day)", def, check_days)))
			return rc;
	} else {
		w->nc.days = 0x7f;
	}
	snprintf(def, sizeof(def), "%ld", w->nc.retries);
	if ((rc = answer(w, "retries", w->f->retries, "Retries after the first "
			 "attempt (0-10)", def, check_retries)))
		return rc;
	if (w->nc.retries > 0) {
		newcamp_cooldown_text(def, sizeof(def), &w->nc);
		if ((rc = answer(w, "cooldown", w->f->cooldown, "Minutes before a "
				 "retry (one number, or one per retry: 30,120)", def,
				 check_cooldown)))
			return rc;
		newcamp_outcomes_text(def, sizeof(def), w->nc.retry_on);
		if ((rc = answer(w, "retry-on", w->f->retry_on, "Retry on (no_answer,"
				 "busy,voicemail,failed,hangup)", def, check_retry_on)))
			return rc;
	}
	return answer(w, "voicemail", w->f->voicemail, "When a machine answers "
		      "(hang_up or leave_message)",
		      w->nc.leave_message ? "leave_message" : "hang_up",
		      check_voicemail);
}

/* ---- step 5: schedule ---- */

static int check_start(struct wiz *w, const char *v, char *why, size_t n)
{
	time_t t;

	if (!strcmp(v, "draft") || !*v) {
		w->nc.start_at[0] = w->nc.end_at[0] = '\0';
		return 0;
	}
	if (strlen(v) >= sizeof(w->nc.start_at) || time_parse_rfc3339(&t, v)) {
		snprintf(why, n, "\"%s\" is not a time (expected RFC 3339 with an "
			 "offset, e.g. 2026-11-24T09:00:00+03:00; or draft)", v);
		return -1;
	}
	if (t < w->f->now)
		fprintf(w->out, "    note: %s has passed; dialing starts at the "
			"next tick after the merge\n", v);
	snprintf(w->nc.start_at, sizeof(w->nc.start_at), "%s", v);
	return 0;
}

static int check_end(struct wiz *w, const char *v, char *why, size_t n)
{
	time_t t, s = 0;

	if (!strcmp(v, "none") || !*v) {
		w->nc.end_at[0] = '\0';
		return 0;
	}
	if (strlen(v) >= sizeof(w->nc.end_at) || time_parse_rfc3339(&t, v)) {
		snprintf(why, n, "\"%s\" is not a time (expected RFC 3339 with an "
			 "offset, e.g. 2026-11-30T20:00:00+03:00; or none)", v);
		return -1;
	}
	time_parse_rfc3339(&s, w->nc.start_at);
	if (t <= s) {
		snprintf(why, n, "the end %s is not after the start %s", v,
			 w->nc.start_at);
		return -1;
	}
	if (t <= w->f->now) {
		snprintf(why, n, "the end %s has passed already", v);
		return -1;
	}
	snprintf(w->nc.end_at, sizeof(w->nc.end_at), "%s", v);
	return 0;
}

static int step_schedule(struct wiz *w)
{
	int rc;

	if (w->interactive)
		fprintf(w->out, "\nStep 5/5: schedule\n"
			"    a start time makes it scheduled: it dials from then, once "
			"the pull request is merged; draft: it waits\n");
	if ((rc = answer(w, "start-at", w->f->start_at, "Start at (RFC 3339, "
			 "or draft)", w->nc.start_at[0] ? w->nc.start_at : "draft",
			 check_start)))
		return rc;
	if (!w->nc.start_at[0])
		return 0;
	return answer(w, "end-at", w->f->end_at, "End at (RFC 3339, or none)",
		      w->nc.end_at[0] ? w->nc.end_at : "none", check_end);
}

/* ---- summary, confirmation, the commit ---- */

static void summary(struct wiz *w, FILE *f)
{
	const struct account *a = config_account(w->repo->cfg, w->nc.account);
	char win[80], cd[80], on[80];

	newcamp_window_text(win, sizeof(win), &w->nc);
	newcamp_cooldown_text(cd, sizeof(cd), &w->nc);
	newcamp_outcomes_text(on, sizeof(on), w->nc.retry_on);
	fprintf(f, "\nCampaign %s: \"%s\"\n", w->nc.id, w->nc.name);
	fprintf(f, "  1 account    %s (%s), caller ID %s\n", a->name, a->provider,
		w->nc.caller_id);
	if (w->nc.override)
		fprintf(f, "  2 script     override: %s\n", w->nc.script_text);
	else
		fprintf(f, "  2 script     agent (the agent's own prompt)\n");
	fprintf(f, "  3 audience   %s%s: %zu rows, %zu to call\n",
		w->nc.segment[0] ? "segment " : "",
		w->nc.segment[0] ? w->nc.segment : w->aud_label, w->rows, w->to_call);
	fprintf(f, "  4 pacing     %ld at once, window %s, ", w->nc.concurrency, win);
	if (w->nc.retries)
		fprintf(f, "%ld retr%s after %s min on %s, ", w->nc.retries,
			w->nc.retries == 1 ? "y" : "ies", cd, on);
	else
		fprintf(f, "no retries, ");
	fprintf(f, "voicemail %s\n", w->nc.leave_message ? "leave_message" : "hang_up");
	if (w->nc.start_at[0])
		fprintf(f, "  5 schedule   scheduled from %s%s%s\n", w->nc.start_at,
			w->nc.end_at[0] ? " until " : "", w->nc.end_at);
	else
		fprintf(f, "  5 schedule   draft (not dialed until it gets a start time)\n");
}

static int run_step(struct wiz *w, int step)
{
	int rc;

	/* a step asked again no longer takes its flags as answers */
	w->revisit = !!(w->done & (1u << step));
	switch (step) {
	case 1: rc = step_account(w); break;
	case 2: rc = step_script(w); break;
	case 3: rc = step_audience(w); break;
	case 4: rc = step_pacing(w); break;
	default: rc = step_schedule(w); break;
	}
	if (!rc)
		w->done |= 1u << step;
	return rc;
}

/* 1: create, 0: abandon, 2..6: change step N-1; <0 the input ended. */
static int confirm(struct wiz *w)
{
	char line[64];

	for (;;) {
		fprintf(w->out, "\nCreate branch campaign/%s with this campaign? "
			"[Y]es, [n]o, or 1-5 to change a step: ", w->nc.id);
		fflush(w->out);
		if (!fgets(line, sizeof(line), stdin)) {
			fputc('\n', w->out); /* the prompt's line stays open */
			return gd_error_set("the input ended; nothing was written");
		}
		trim_line(line);
		if (!*line || !strcmp(line, "y") || !strcmp(line, "yes") ||
		    !strcmp(line, "Y"))
			return 1;
		if (!strcmp(line, "n") || !strcmp(line, "no") || !strcmp(line, "N"))
			return 0;
		if (line[0] >= '1' && line[0] <= '5' && !line[1])
			return line[0] - '0' + 1;
		fprintf(w->out, "  \"%s\" is not y, n or a step number 1-5\n", line);
	}
}

/*
 * The same checks as gitdial validate, on the commit about to become the
 * branch: gitdial.json, the campaign, its audience.
 */
static int check_commit(struct wiz *w, const git_oid *commit)
{
	struct diags d = { 0 };
	struct repo *r = NULL;
	struct src s;
	int rc;

	if ((rc = src_init_tree(&s, w->st, commit)))
		return rc;
	rc = repo_load(&r, &s, w->nc.id, REPO_AUDIENCE, &d);
	if (!rc && (d.errors || !repo_find(r, w->nc.id)->aud))
		rc = GD_EINVALID;
	if (rc) {
		diags_sort(&d);
		diags_print(stderr, &d, FMT_TEXT);
		gd_error_set("the campaign does not pass gitdial validate; "
			     "nothing was written");
	}
	repo_free(r);
	diags_release(&d);
	src_release_tree(&s);
	return rc;
}

static int create(struct wiz *w, struct author *au, git_oid *out)
{
	struct change ch = { 0 };
	struct buf json = BUF_INIT(1u << 20), msg = BUF_INIT(64u << 10);
	char path[256], branch[128];
	int rc;

	time_format_utc(w->nc.created, w->f->now);
	snprintf(path, sizeof(path), "campaigns/%s/campaign.json", w->nc.id);
	rc = newcamp_json(&json, &w->nc) ? gd_error_set("out of memory") : 0;
	if (!rc)
		rc = change_add_buf(&ch, path, &json);
	if (!rc && w->nc.audience_file[0]) {
		snprintf(path, sizeof(path), "campaigns/%s/%s", w->nc.id,
			 w->nc.audience_file);
		rc = change_add_buf(&ch, path, &w->aud_data);
	}
	if (rc)
		goto cleanup;
	buf_printf(&msg, "new: %s (\"%s\")\n\n", w->nc.id, w->nc.name);
	buf_printf(&msg, "account %s, caller ID %s\naudience: %s%s, %zu rows, "
		   "%zu to call\n%s%s\n", w->nc.account, w->nc.caller_id,
		   w->nc.segment[0] ? "segment " : "", w->nc.segment[0]
		   ? w->nc.segment : w->nc.audience_file, w->rows, w->to_call,
		   w->nc.start_at[0] ? "scheduled from " : "draft",
		   w->nc.start_at);
	if ((rc = buf_check(&msg)) ||
	    (rc = store_commit(w->st, out, &w->base, &ch, msg.ptr, au->name,
				   au->email, w->f->now)))
		goto cleanup;
	if ((rc = check_commit(w, out)))
		goto cleanup;
	snprintf(branch, sizeof(branch), "campaign/%s", w->nc.id);
	store_set_branch(w->st, branch);
	rc = store_publish(w->st, w->f->remote, out, NULL);
	if (rc == GD_ECONFLICT)
		gd_error_set("a branch %s exists already%s%s; nothing was written",
			     branch, w->f->remote ? " on " : "",
			     w->f->remote ? w->f->remote : "");
	if (!rc && w->f->remote) {
		char up[300];
		snprintf(up, sizeof(up), "%s/%s", w->f->remote, branch);
		store_set_upstream(w->st, branch, up); /* a convenience only */
	}
cleanup:
	change_release(&ch);
	buf_release(&json);
	buf_release(&msg);
	return rc;
}

static int parse_opts(struct flags *f, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "remote", required_argument, NULL, 'R' },
		{ "base", required_argument, NULL, 'B' },
		{ "author", required_argument, NULL, 'A' },
		{ "now", required_argument, NULL, 'N' },
		{ "yes", no_argument, NULL, 'y' },
		{ "format", required_argument, NULL, 'F' },
		{ "id", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "account", required_argument, NULL, 'a' },
		{ "caller-id", required_argument, NULL, 'c' },
		{ "script-mode", required_argument, NULL, 'm' },
		{ "script-text", required_argument, NULL, 't' },
		{ "script-file", required_argument, NULL, 'T' },
		{ "audience", required_argument, NULL, 'u' },
		{ "segment", required_argument, NULL, 's' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "window", required_argument, NULL, 'w' },
		{ "days", required_argument, NULL, 'd' },
		{ "retries", required_argument, NULL, 'x' },
		{ "cooldown", required_argument, NULL, 'o' },
		{ "retry-on", required_argument, NULL, 'O' },
		{ "voicemail", required_argument, NULL, 'v' },
		{ "start-at", required_argument, NULL, 'S' },
		{ "end-at", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, fmt;

	memset(f, 0, sizeof(*f));
	f->repo = ".";
	f->now = time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': f->repo = optarg; break;
		case 'R': f->remote = optarg; break;
		case 'B': f->base = optarg; break;
		case 'A': f->author = optarg; break;
		case 'y': f->yes = 1; break;
		case 'i': f->id = optarg; break;
		case 'n': f->name = optarg; break;
		case 'a': f->account = optarg; break;
		case 'c': f->caller_id = optarg; break;
		case 'm': f->mode = optarg; break;
		case 't': f->text = optarg; break;
		case 'T': f->text_file = optarg; break;
		case 'u': f->audience = optarg; break;
		case 's': f->segment = optarg; break;
		case 'C': f->concurrency = optarg; break;
		case 'w': f->window = optarg; break;
		case 'd': f->days = optarg; break;
		case 'x': f->retries = optarg; break;
		case 'o': f->cooldown = optarg; break;
		case 'O': f->retry_on = optarg; break;
		case 'v': f->voicemail = optarg; break;
		case 'S': f->start_at = optarg; break;
		case 'E': f->end_at = optarg; break;
		case 'N':
			if (now_refused("new", usage))
				return 2;
			if (time_parse_rfc3339(&f->now, optarg))
				return usage_error("new", usage, "--now: \"%s\" is not an "
						   "RFC 3339 time with an offset", optarg);
			break;
		case 'F':
			if ((fmt = format_parse(optarg, "text,json")) < 0)
				return usage_error("new", usage, "unknown format '%s'", optarg);
			f->json = fmt == FMT_JSON;
			break;
		case 'h': printf("usage: %s\n", usage); return -1;
		default: return usage_error("new", usage, "bad option");
		}
	}
	if (optind < argc)
		return usage_error("new", usage, "unexpected argument '%s'", argv[optind]);
	if (f->audience && f->segment)
		return usage_error("new", usage, "--audience and --segment: one or "
				   "the other");
	if (f->text && f->text_file)
		return usage_error("new", usage, "--script-text and --script-file: "
				   "one or the other");
	if ((f->text || f->text_file) && f->mode && strcmp(f->mode, "override"))
		return usage_error("new", usage, "a script text needs --script-mode "
				   "override");
	if (f->days && !f->window)
		return usage_error("new", usage, "--days needs --window");
	if ((f->cooldown || f->retry_on) && !f->retries)
		return usage_error("new", usage, "--cooldown and --retry-on need "
				   "--retries");
	if (f->end_at && !f->start_at)
		return usage_error("new", usage, "--end-at needs --start-at");
	return 0;
}

/* Opens the repository and reads what the questions need from the base. */
static int wiz_open(struct wiz *w, struct diags *d)
{
	int found, rc;

	if ((rc = store_open(&w->st, w->f->repo)))
		return rc;
	if (w->f->base)
		store_set_branch(w->st, w->f->base);
	snprintf(w->base_name, sizeof(w->base_name), "%s", store_branch(w->st));
	if ((rc = store_sync(w->st, w->f->remote, &w->base, &found)))
		return rc;
	if (!found)
		return gd_error_set("the branch '%s' has no commit yet (gitdial init "
				    "makes a repository with one)", store_branch(w->st));
	if ((rc = src_init_tree(&w->src, w->st, &w->base)))
		return rc;
	if (repo_load(&w->repo, &w->src, NULL, REPO_CONFIG_ONLY, d) || d->errors)
		return gd_error_set("gitdial.json on '%s' has errors; fix them first",
				    store_branch(w->st));
	if (!w->repo->cfg->n_accounts)
		return gd_error_set("gitdial.json has no accounts to call from");
	if ((rc = dnc_load(&w->dnc, &w->src, NULL)))
		return rc;
	if (w->src.list(&w->src, "segments", &w->segments) == GD_ERROR)
		return GD_ERROR;
	return 0;
}

static void wiz_release(struct wiz *w)
{
	columns_release(w);
	names_release(&w->segments);
	buf_release(&w->aud_data);
	dnc_free(w->dnc);
	repo_free(w->repo);
	if (w->src.ctx)
		src_release_tree(&w->src);
	store_free(w->st);
}

static void print_result(struct wiz *w, const git_oid *commit)
{
	char hex[41];

	git_oid_tostr(hex, sizeof(hex), commit);
	if (w->f->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", w->nc.id);
		cJSON_AddStringToObject(o, "branch", store_branch(w->st));
		cJSON_AddStringToObject(o, "commit", hex);
		cJSON_AddStringToObject(o, "base", w->base_name);
		cJSON_AddBoolToObject(o, "pushed", w->f->remote != NULL);
		cJSON_AddStringToObject(o, "status", w->nc.start_at[0] ? "scheduled"
					: "draft");
		cJSON_AddNumberToObject(o, "rows", (double)w->rows);
		cJSON_AddNumberToObject(o, "to_call", (double)w->to_call);
		json_emit(o);
		return;
	}
	printf("\nCreated branch %s (commit %.12s) with campaigns/%s/campaign.json",
	       store_branch(w->st), hex, w->nc.id);
	if (w->nc.audience_file[0])
		printf(" and campaigns/%s/%s", w->nc.id, w->nc.audience_file);
	printf("\n");
	if (w->f->remote)
		printf("Pushed to %s. Next: open a pull request from %s into %s; "
		       "its checks run gitdial validate and plan.\n", w->f->remote,
		       store_branch(w->st), w->base_name);
	else
		printf("Next: git push -u origin %s, then open a pull request from "
		       "it into %s; its checks run gitdial validate and plan.\n",
		       store_branch(w->st), w->base_name);
}

int cmd_new(int argc, char **argv)
{
	struct flags f;
	struct wiz *w = NULL;
	struct diags d = { 0 };
	struct author au;
	git_oid commit;
	int rc, step, c, back;

	if ((rc = parse_opts(&f, argc, argv)))
		return rc < 0 ? 0 : rc;
	if (!(w = calloc(1, sizeof(*w)))) {
		fprintf(stderr, "gitdial new: out of memory\n");
		return 1;
	}
	newcamp_init(&w->nc);
	w->nc.concurrency = 5;
	buf_init(&w->aud_data, AUDIENCE_MAX);
	w->f = &f;
	w->interactive = isatty(STDIN_FILENO) && !f.yes;
	w->out = f.json ? stderr : stdout;
	if (!w->interactive && (!f.id || !f.name || (!f.audience && !f.segment))) {
		free(w);
		return usage_error("new", usage, "stdin is not a terminal%s, so the "
				   "answers come from flags: --id, --name and "
				   "--audience or --segment are required",
				   f.yes ? " (or --yes was given)" : "");
	}
	if (f.text_file) {
		struct buf b = BUF_INIT(NEWCAMP_TEXT_MAX - 1);
		if (file_read(&b, f.text_file, NEWCAMP_TEXT_MAX - 1)) {
			fprintf(stderr, "gitdial new: --script-file: %s\n", gd_error_last());
			buf_release(&b);
			free(w);
			return 1;
		}
		snprintf(w->text_file_data, sizeof(w->text_file_data), "%s",
			 b.ptr ? b.ptr : "");
		trim_line(w->text_file_data);
		buf_release(&b);
	}
	if ((rc = wiz_open(w, &d))) {
		fprintf(stderr, "gitdial new: %s\n", gd_error_last());
		diags_print(stderr, &d, FMT_TEXT);
		goto fail;
	}
	if ((rc = author_resolve(&au, w->st, f.author))) {
		fprintf(stderr, "gitdial new: %s\n", gd_error_last());
		goto fail;
	}
	if (w->interactive)
		fprintf(w->out, "New campaign from %s (Enter takes the [default])\n",
			store_branch(w->st));
	for (step = 1; step <= 5;) {
		rc = run_step(w, step);
		if (rc == STEP_BACK) {
			step = step > 1 ? step - 1 : 1;
			continue;
		}
		if (rc)
			goto err;
		step++;
	}
	summary(w, w->out);
	while (w->interactive && (c = confirm(w)) != 1) {
		if (c < 0)
			goto err;
		if (c == 0) {
			fprintf(w->out, "Nothing was written.\n");
			rc = 1;
			goto fail;
		}
		/* each step checks against the others' answers: one is enough */
		for (step = c - 1, back = 0;;) {
			rc = run_step(w, step);
			if (rc == STEP_BACK) {
				step = 2;
				back = 1;
				continue;
			}
			if (rc)
				goto err;
			if (!back)
				break;
			step = 3;
			back = 0;
		}
		summary(w, w->out);
	}
	if ((rc = create(w, &au, &commit)))
		goto err;
	fflush(w->out);
	print_result(w, &commit);
	rc = 0;
	goto done;
err:
	fprintf(stderr, "gitdial new: %s\n", gd_error_last());
fail:
	rc = 1;
done:
	wiz_release(w);
	diags_release(&d);
	free(w);
	return rc;
}
