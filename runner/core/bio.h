/*
 * Background I/O (redis's bio.c): files written now and made durable on
 * a thread of their own. For derived files outside the repository (the
 * state and audience caches), which a reader may find old but never
 * half-written: the fsync and the rename cost 70-90 ms a file on the
 * bench, time the tick spends on other work meanwhile.
 */
#ifndef GD_BIO_H
#define GD_BIO_H

#include "err.h"

/*
 * Writes a file: its directory is made when missing, and the file
 * replaced atomically (a reader sees the old one or the new one). The
 * data is written before this returns (v may change after); the fsync
 * and the rename finish on a thread: call bio_wait before the process
 * ends. From one thread at a time.
 */
struct iovec;
GD_MUST_CHECK
int bio_write(const char *path, const struct iovec *v, int n);
/*
 * bio_write, with the data written on the thread too: v's pieces
 * must stay as they are until bio_wait returns, except own (malloc'd
 * or NULL), which the write frees when it is done.
 */
GD_MUST_CHECK
int bio_write_lent(const char *path, const struct iovec *v, int n, void *own);
/* Waits until every file written so far is in place. */
void bio_wait(void);

#endif
