/* Small helpers shared by every module: ids, times, files, hashing. */
#ifndef GD_UTIL_H
#define GD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/* Campaign and segment ids: [a-z0-9][a-z0-9-]{0,63}. */
int id_valid(const char *s);
/* Account names: [A-Za-z0-9_-]{1,64}. */
int account_name_valid(const char *s);

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (the civil-from-days arithmetic in reverse): what timegm computes for
 * a UTC date, at a fraction of its cost, which counts when two million
 * log lines each carry a time.
 */
long days_from_civil(int y, int m, int d);
/*
 * Parses RFC 3339 with a mandatory offset ("Z" or "+03:00"); seconds and
 * fractions optional. Returns 0 and the UTC instant, or GD_EINVALID.
 */
int time_parse_rfc3339(time_t *out, const char *s);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void time_format_utc(char out[21], time_t t);
/* "HH:MM" (or "24:00" when allow_24) → minutes of the day, -1 if not. */
int time_parse_hhmm(const char *s, int allow_24);

/* Reads a whole file, at most max bytes (GD_EINVALID past it). */
int file_read(struct buf *out, const char *path, size_t max);
/*
 * Writes a file atomically: temp file beside it, fsync, rename, fsync the
 * directory (redis rdbSave).
 */
GD_MUST_CHECK
int file_write_atomic(const char *path, const void *data, size_t len);
/*
 * file_write_atomic of a buffer's contents; refuses (buf_check) a buffer
 * whose appends failed, so a truncated file never replaces a good one.
 */
GD_MUST_CHECK
int file_write_atomic_buf(const char *path, const struct buf *b);
struct iovec;
/* file_write_atomic of the n pieces of v (at most 64), without a copy. */
GD_MUST_CHECK
int file_write_atomic_iov(const char *path, const struct iovec *v, int n);
/*
 * The two halves of file_write_atomic_iov. file_write_temp writes the n
 * pieces of v to a new temp file beside path (its name, unique in this
 * process, goes to tmp) and leaves it open in *fd; file_write_commit
 * fsyncs and closes fd, renames tmp over path and fsyncs the directory
 * (the temp file is removed when that fails). Between the two the data
 * is the kernel's: the caller may change or free v.
 */
GD_MUST_CHECK
int file_write_temp(const char *path, const struct iovec *v, int n,
		    char *tmp, size_t tmp_size, int *fd);
GD_MUST_CHECK
int file_write_commit(int fd, const char *tmp, const char *path);
/*
 * Writes a file that must not exist yet (O_EXCL), without an fsync: a
 * copy of what is durable elsewhere (the work tree's copy of a
 * committed blob). A failed write removes it.
 */
GD_MUST_CHECK
int file_write_new(const char *path, const void *data, size_t len);
/*
 * Maps a whole file (for caches: no copy through a buffer). The memory
 * is private: writes to it are the process's own and never reach the
 * file. *data stays valid until file_unmap(*token). GD_ENOTFOUND when
 * the file is missing.
 */
int file_map(const char *path, const char **data, size_t *len, void **token);
void file_unmap(void *token);
/* mkdir -p; 0 when it exists already. */
int dir_create(const char *path);

/*
 * calloc for large tables probed at random (hash sets of a million
 * numbers): 2 MiB aligned and backed by transparent huge pages where the
 * kernel allows, which spares a TLB miss on most probes. Free with free().
 */
void *table_calloc(size_t n, size_t size);
/*
 * Asks for transparent huge pages on the whole 2 MiB pages inside
 * [p, p + len), for a large array not yet written there (a fresh
 * malloc, or what a realloc added): one fault per 2 MiB instead of 512,
 * and faults are dear on a VM. A hint: nothing happens where the kernel
 * does not allow it.
 */
void mem_hint_huge(void *p, size_t len);

/*
 * Resolves a secret reference into out: env:NAME reads the environment,
 * file:PATH the file (a trailing newline dropped), within what the
 * operator allows (trust.h: GITDIAL_SECRETS_DIR, GITDIAL_ENV_ALLOW, never
 * a well-known variable or a file of $GITDIAL_REPO). Never logs the
 * value. Returns 0, or a negative code with a message naming the
 * reference and why when it is refused, missing, unreadable or does not fit.
 */
int secret_resolve(char *out, size_t n, const char *ref);

uint64_t hash_fnv1a(const void *data, size_t len);
/* True when tok is one of the items of the comma-separated list. */
int list_has_token(const char *list, const char *tok);

/* Copies s into out (size n), cut at a character boundary. */
void utf8_truncate(char *out, size_t n, const char *s);
/* Number of characters (code points) in a UTF-8 string. */
size_t utf8_len(const char *s);
/* Checks that s is valid UTF-8 with no NUL; returns 0 or the byte offset+1 of the first bad byte. */
size_t utf8_check(const char *s, size_t len);

#endif
