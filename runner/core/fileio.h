/*
 * Files outside the repository: whole reads, atomic replacement (temp,
 * fsync, rename, fsync the directory), private maps, mkdir -p.
 */
#ifndef GD_FILEIO_H
#define GD_FILEIO_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

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

#endif
