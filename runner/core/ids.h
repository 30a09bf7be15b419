/*
 * The names a repository gives things: campaign, segment and account ids,
 * and the paths of its files.
 */
#ifndef GD_IDS_H
#define GD_IDS_H

/* Campaign and segment ids: [a-z0-9][a-z0-9-]{0,63}. */
int id_valid(const char *s);
/* Account names: [A-Za-z0-9_-]{1,64}. */
int account_name_valid(const char *s);
/*
 * Whether p is a repository-relative path that cannot escape: not
 * absolute, no ".." and no "//" anywhere in it.
 */
int path_safe(const char *p);

#endif
