/*
 * Campaign folders as operators move them (SPEC §3, §8): campaigns/<id>/
 * is live, archived/<id>/ and deleted/<id>/ are the other two tabs. A
 * move is a change set (add every file at its new path, remove the old
 * one), so it lands as one commit and git sees a rename. A deleted folder
 * carries a marker with when and from where it was deleted; the first
 * tick 30 days later purges the folder from the tree (its log stays).
 */
#ifndef GD_FOLDER_H
#define GD_FOLDER_H

#include <time.h>

#include "buf.h"
#include "err.h"
#include "src.h"
#include "store.h"

#define FOLDER_RETENTION_S (30L * 24 * 3600)
#define DELETED_MARKER ".deleted.json"

/* The three places a campaign folder lives. */
extern const char *const folder_tops[]; /* "campaigns", "archived", "deleted", NULL */

/* True when <top>/<id>/ has at least one file in s. */
int folder_exists(struct src *s, const char *top, const char *id);
/*
 * Adds to ch what moves every file under from/ to to/ (both folder paths
 * without a trailing slash). skip, when not NULL, is a file name left
 * behind (removed, not copied). Returns 0, or GD_ENOTFOUND when from/
 * holds no file.
 */
int folder_move(struct src *s, struct change *ch, const char *from,
		const char *to, const char *skip);
/* Like folder_move, but the files stay where they are too. */
int folder_copy(struct src *s, struct change *ch, const char *from,
		const char *to, const char *skip);

/*
 * The marker's text: {"v":1,"deleted_at":…,"by":…,"from":…}. by is
 * who deleted it ("Name <email>"), from the top it came from.
 */
GD_MUST_CHECK
int deleted_marker_write(struct buf *out, time_t when, const char *by,
			 const char *from);
/*
 * Parses a marker. *when gets deleted_at; from (16 bytes) the top the
 * folder came from ("campaigns" or "archived"). Returns 0 or GD_EINVALID.
 */
int deleted_marker_parse(const char *text, size_t len, time_t *when,
			 char from[16]);
/*
 * Adds to ch the removal of every deleted/<id>/ whose marker is at least
 * FOLDER_RETENTION_S old at now (a folder with an unreadable marker is
 * kept: purging is the one thing that loses files). Appends the purged ids
 * to ids (", "-separated). Returns 0 or an error.
 */
int folder_purge_deleted(struct src *s, time_t now, struct change *ch,
			 struct buf *ids);

#endif
