/*
 * Attempt ids: "<campaign>.<key>.<n>", the one name of a call attempt in
 * the log, the functions' requests and the providers' webhooks. key is
 * the recipient's number as digits (phone_key: 1 to 15 digits, no
 * sign), n the attempt, 1 to ATTEMPTS_MAX. Made, parsed and checked
 * here only, so every part of gitdial agrees on one limit.
 */
#ifndef GD_ATTEMPT_H
#define GD_ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

#define ATTEMPTS_MAX 15 /* 1 + retries.max (10) fits */
/* the longest id: a 64-character campaign id, 15 digits, 2 digits */
#define ATTEMPT_ID_MAX (64 + 1 + 15 + 1 + 2 + 1)

/* Writes "<campaign>.<key>.<attempt>" into out (n bytes). */
void attempt_id_make(char *out, size_t n, const char *campaign, uint64_t key,
		     int attempt);
/*
 * Parses id into its key and attempt number (either may be NULL); -1
 * when id is not an attempt id (the campaign part is not checked: see
 * attempt_id_valid).
 */
int attempt_id_parse(const char *id, uint64_t *key, int *attempt);
/* True for a whole attempt id: a valid campaign id, a key, an attempt. */
int attempt_id_valid(const char *s);
/* The campaign id an attempt id starts with; 0, or GD_EINVALID. */
int attempt_campaign(char *out, size_t n, const char *attempt_id);

#endif
