/* The names a repository gives things: campaign, segment and account ids. */
#ifndef GD_IDS_H
#define GD_IDS_H

/* Campaign and segment ids: [a-z0-9][a-z0-9-]{0,63}. */
int id_valid(const char *s);
/* Account names: [A-Za-z0-9_-]{1,64}. */
int account_name_valid(const char *s);

#endif
