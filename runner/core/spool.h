/*
 * The spool: a directory where webhook functions (and the sim carrier)
 * leave events for the next tick, one JSON file per event. Writers make
 * the file under .tmp/, fsync it and rename it in (maildir style), so a
 * reader never sees half an event. The tick removes files only after the
 * commit that holds their events is published.
 */
#ifndef GD_SPOOL_H
#define GD_SPOOL_H

#include <stddef.h>

#include "err.h"

#define SPOOL_EVENT_MAX (64u * 1024)

/* Writes one event (a JSON text) into dir; 0 once it is durable. */
GD_MUST_CHECK
int spool_write(const char *dir, const char *json, size_t len);

struct spool_file {
	char *name; /* file name inside the spool dir */
	char *data; /* its contents, NUL-terminated */
	size_t len;
};

struct spool_list {
	struct spool_file *v;
	size_t n;
};

/*
 * Reads every event file in dir (sorted by name); a missing dir is
 * empty. A file over SPOOL_EVENT_MAX is listed with empty data and
 * len SPOOL_EVENT_MAX + 1, so the caller can quarantine it.
 */
int spool_read(struct spool_list *out, const char *dir);
void spool_list_release(struct spool_list *l);
/* Removes one event file (after its event is committed). */
int spool_remove(const char *dir, const char *name);
/*
 * Moves one event file, whose event's commit is published, into
 * dir/.done/ (made when missing): a rename, which frees no disk block, so
 * thousands take a fraction of a second where as many unlinks can take
 * seconds (a file system with online discard frees each block at once).
 * Readers never look into .done/; spool_sweep removes what is there.
 */
int spool_retire(const char *dir, const char *name);

struct spool_sweep;
/*
 * Starts removing the files in dir/.done/ on a few threads, beside the
 * caller's work; NULL when there is nothing to remove or no thread could
 * start (the files wait for a later sweep: their events are published).
 */
struct spool_sweep *spool_sweep_start(const char *dir);
/*
 * Lets the sweep go on for at most grace_ms more, stops it, waits for its
 * threads and frees it (NULL is fine). What is left waits for the next
 * sweep. Returns how many files were removed.
 */
size_t spool_sweep_stop(struct spool_sweep *s, long grace_ms);
/*
 * Moves an unusable event file into dir/quarantine/ (made when missing),
 * where an operator can read it and the readers never look again.
 */
int spool_quarantine(const char *dir, const char *name);
/* The default spool of a repository: <gitdir>/gitdial/spool. */
int spool_default(char *out, size_t n, const char *gitdir);

#endif
