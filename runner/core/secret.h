/* Secrets by reference (env:NAME, file:PATH), never by value. */
#ifndef GD_SECRET_H
#define GD_SECRET_H

#include <stddef.h>

/*
 * Resolves a secret reference into out: env:NAME reads the environment,
 * file:PATH the file (a trailing newline dropped), within what the
 * operator allows (trust.h: GITDIAL_SECRETS_DIR, GITDIAL_ENV_ALLOW, never
 * a well-known variable or a file of $GITDIAL_REPO). Never logs the
 * value. Returns 0, or a negative code with a message naming the
 * reference and why when it is refused, missing, unreadable or does not fit.
 */
int secret_resolve(char *out, size_t n, const char *ref);

#endif
