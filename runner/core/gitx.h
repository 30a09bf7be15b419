/*
 * libgit2 set up for gitdial, and its errors carried into ours: the
 * process-wide settings (allocator, pack windows, hash checks) made once
 * before a repository is opened, and the one way a failed git_* call
 * becomes a gitdial error.
 */
#ifndef GD_GITX_H
#define GD_GITX_H

/*
 * Initialises libgit2 and sets its process-wide options: objects are
 * not hashed again on every read, large allocations ask for huge pages,
 * and packs are mapped in small windows so a cold tick's RSS stays a
 * few MB. Safe to call more than once (store_open calls it).
 */
void gitx_init(void);

/*
 * Sets the error "what: <libgit2's last message>" and returns
 * GD_ERROR; for the line right after a git_* call failed.
 */
int gitx_fail(const char *what);

#endif
