/* Who an operator command's commit is by: --author "Name <email>" or git config. */
#ifndef GD_AUTHOR_H
#define GD_AUTHOR_H

#include <stddef.h>

struct store;

struct author {
	char name[128];
	char email[128];
};

/*
 * Parses "Name <email>" (git's --author form) into a. Returns 0, or
 * GD_EINVALID with a reason in gd_error_last() (empty name, no <email>,
 * characters git refuses: '<', '>' or a newline in the name).
 */
int author_parse(struct author *a, const char *s);
/*
 * arg when given, else the user.name and user.email of st's repository
 * (libgit2's git_signature_default). GD_ENOTFOUND with a hint when neither is set.
 */
int author_resolve(struct author *a, struct store *st, const char *arg);

#endif
