#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bio.h"
#include "buf.h"
#include "cache.h"
#include "err.h"
#include "ledger.h"
#include "util.h"
#include "banned.h"

#define CACHE_MAGIC "GDSTATE6"
#define CACHE_ALIGN 64 /* the recipients' array starts aligned: it is used in place */
#define CACHE_SAVE_FILES 48 /* new log files replayed before the cache is rewritten */
/* room for claims after the saved ones, so a warm tick appends in place */
#define CACHE_DL_ROOM 16384

struct head {
	char magic[8];
	uint32_t sizeof_state, sizeof_rstate, sizeof_flight;
	char key[128];
	char log[48]; /* the ledger_id of the log the state is of */
	uint64_t n, skipped_bytes, nfl, analysis_alloc, ndl, dl_cap, ninfl;
};

static size_t pad_to(size_t off)
{
	return (off + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

/*
 * Reads the cache into st and the ledger_id of the log it is of into
 * log; returns 0, or -1 when there is none that fits (st is then as
 * fresh from state_init).
 */
static int load(struct cstate *st, const char *path, const char *key,
		char log[41])
{
	struct head h;
	const char *p, *data;
	struct cstate keep = *st;
	size_t need, len;
	void *token = NULL;

	if (file_map(path, &data, &len, &token) || len < sizeof(h))
		goto fail;
	memcpy(&h, data, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, 8) || h.sizeof_state != sizeof(*st) ||
	    h.sizeof_rstate != sizeof(struct rstate) ||
	    h.sizeof_flight != sizeof(struct flight) ||
	    strncmp(h.key, key, sizeof(h.key)) || h.n != st->n)
		goto fail;
	if (h.dl_cap < h.ndl || h.dl_cap > len / sizeof(struct dlog) ||
	    h.ninfl > len / sizeof(uint32_t))
		goto fail;
	need = pad_to(sizeof(h) + sizeof(*st)) + h.n * sizeof(struct rstate) +
	       h.dl_cap * sizeof(struct dlog) + h.skipped_bytes +
	       h.nfl * sizeof(struct flight) +
	       h.analysis_alloc * sizeof(uint64_t) + h.ninfl * sizeof(uint32_t);
	if (len != need || !memchr(h.log, '\0', sizeof(h.log)))
		goto fail;
	p = data + sizeof(h);
	memcpy(st, p, sizeof(*st));
	p = data + pad_to(sizeof(h) + sizeof(*st));
	/* the pointers and the map are this process's own */
	st->aud = keep.aud;
	st->r = keep.r;
	st->r_map = keep.r_map;
	st->skipped_line = NULL;
	st->fl = NULL;
	st->analysis = NULL;
	st->dl = NULL;
	st->dl_mapped = 0;
	st->infl = NULL;
	st->ninfl = st->infl_alloc = 0;
	/* the recipients' state and the claims are used where they lie (a
	 * private mapping), with room for the claims of later ticks */
	if (!keep.r_map)
		free(keep.r);
	else
		file_unmap(keep.r_map);
	st->r = (struct rstate *)p;
	st->r_map = token;
	token = NULL;
	p += h.n * sizeof(struct rstate);
	st->dl = (struct dlog *)p;
	st->ndl = h.ndl;
	st->dl_alloc = h.dl_cap;
	st->dl_mapped = 1;
	p += h.dl_cap * sizeof(struct dlog);
	if (h.skipped_bytes) {
		if (!(st->skipped_line = malloc(h.skipped_bytes)))
			goto fail_state;
		memcpy(st->skipped_line, p, h.skipped_bytes);
		p += h.skipped_bytes;
	}
	st->fl_alloc = st->nfl = h.nfl;
	if (h.nfl) {
		if (!(st->fl = malloc(h.nfl * sizeof(struct flight))))
			goto fail_state;
		memcpy(st->fl, p, h.nfl * sizeof(struct flight));
		p += h.nfl * sizeof(struct flight);
	}
	st->analysis_alloc = h.analysis_alloc;
	if (h.analysis_alloc) {
		if (!(st->analysis = malloc(h.analysis_alloc * sizeof(uint64_t))))
			goto fail_state;
		memcpy(st->analysis, p, h.analysis_alloc * sizeof(uint64_t));
		p += h.analysis_alloc * sizeof(uint64_t);
	}
	if (h.ninfl) {
		if (!(st->infl = malloc(h.ninfl * sizeof(uint32_t))))
			goto fail_state;
		memcpy(st->infl, p, h.ninfl * sizeof(uint32_t));
		st->ninfl = st->infl_alloc = h.ninfl;
	}
	/* a log id that does not fit is not one we wrote: no cache */
	if (str_fmt(log, 41, "%s", h.log))
		goto fail_state;
	file_unmap(token);
	return 0;
fail_state:
	state_forget(st);
fail:
	file_unmap(token);
	return -1;
}

static int save(struct cstate *st, const char *path, const char *key,
		const char *log)
{
	static const char zeros[64 * 1024];
	struct iovec v[16];
	struct head h;
	const uint32_t *infl;
	size_t room, pad, ninfl;
	int n = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.sizeof_state = sizeof(*st);
	h.sizeof_rstate = sizeof(struct rstate);
	h.sizeof_flight = sizeof(struct flight);
	snprintf(h.key, sizeof(h.key), "%s", key);
	snprintf(h.log, sizeof(h.log), "%s", log);
	h.n = st->n;
	h.skipped_bytes = st->skipped_line ? st->skipped_line_max / 8 + 1 : 0;
	h.nfl = st->nfl;
	h.analysis_alloc = st->analysis_alloc;
	h.ndl = st->ndl;
	h.dl_cap = st->ndl + CACHE_DL_ROOM;
	/* the list compacted: only the recipients still in flight */
	state_in_flight_list(st, &infl, &ninfl);
	h.ninfl = ninfl;
	pad = pad_to(sizeof(h) + sizeof(*st)) - sizeof(h) - sizeof(*st);
	v[n].iov_base = &h;
	v[n++].iov_len = sizeof(h);
	v[n].iov_base = (void *)st;
	v[n++].iov_len = sizeof(*st);
	v[n].iov_base = (void *)zeros;
	v[n++].iov_len = pad;
	v[n].iov_base = st->r;
	v[n++].iov_len = st->n * sizeof(*st->r);
	v[n].iov_base = st->dl;
	v[n++].iov_len = st->ndl * sizeof(*st->dl);
	for (room = CACHE_DL_ROOM * sizeof(*st->dl); room;) {
		size_t k = room < sizeof(zeros) ? room : sizeof(zeros);
		v[n].iov_base = (void *)zeros;
		v[n++].iov_len = k;
		room -= k;
	}
	v[n].iov_base = st->skipped_line;
	v[n++].iov_len = h.skipped_bytes;
	v[n].iov_base = st->fl;
	v[n++].iov_len = st->nfl * sizeof(*st->fl);
	v[n].iov_base = st->analysis;
	v[n++].iov_len = st->analysis_alloc * sizeof(uint64_t);
	v[n].iov_base = (void *)infl;
	v[n++].iov_len = ninfl * sizeof(*infl);
	return bio_write(path, v, n);
}

int cache_replay(struct cstate *st, struct src *s, const char *id,
		 const char *path, const char *key, struct ledger_ahead *ahead,
		 size_t *replayed)
{
	struct src_files files = { NULL, 0 };
	char log[41], since[41];
	int rc = 0, stale = 1;

	*replayed = 0;
	/* the cache is keyed on the log's tree: none in a work tree */
	ledger_id(s, id, log);
	if (!*log)
		path = NULL;
	if (path && !load(st, path, key, since)) {
		/* only what was added since: new files at the log's end */
		if (strcmp(since, log))
			rc = ledger_files_since(&files, s, id, since, &stale);
		else
			stale = 0;
		if (rc || stale)
			state_forget(st); /* stale: start from nothing */
		if (rc)
			goto cleanup;
	}
	if (stale && (rc = ledger_files(&files, s, id)))
		goto cleanup;
	/* a cold tick's log may have been parsed ahead (see ledger_ahead_start) */
	rc = stale && ahead ? ledger_ahead_replay(ahead, st, &files)
			    : ledger_replay_files(st, s, &files);
	*replayed = files.n;
	/*
	 * Writing the whole state costs more than replaying a few small files
	 * again, so a warm tick leaves the cache as it is until enough new
	 * files have piled up (they are replayed from git meanwhile).
	 */
	if (!rc && path && *replayed && (stale || *replayed >= CACHE_SAVE_FILES))
		save(st, path, key, log); /* a cache that cannot be written is no error */
cleanup:
	src_files_release(&files);
	return rc;
}
