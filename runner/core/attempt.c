/* Attempt ids (attempt.h): one format, one set of limits. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attempt.h"
#include "err.h"
#include "util.h"
#include "banned.h"

void attempt_id_make(char *out, size_t n, const char *campaign, uint64_t key,
		     int attempt)
{
	snprintf(out, n, "%s.%" PRIu64 ".%d", campaign, key, attempt);
}

/* The digits of s[0..len) as a number; -1 unless 1 to max digits only. */
static int digits(const char *s, size_t len, size_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len < 1 || len > max)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int attempt_id_parse(const char *id, uint64_t *key, int *attempt)
{
	const char *last, *prev;
	uint64_t k, n;

	if (!id || !(last = strrchr(id, '.')) || last == id)
		return -1;
	for (prev = last - 1; prev > id && *prev != '.'; prev--)
		;
	if (*prev != '.' || prev == id)
		return -1;
	if (digits(prev + 1, (size_t)(last - prev - 1), 15, &k) || !k ||
	    digits(last + 1, strlen(last + 1), 2, &n) || n < 1 ||
	    n > ATTEMPTS_MAX)
		return -1;
	if (key)
		*key = k;
	if (attempt)
		*attempt = (int)n;
	return 0;
}

int attempt_id_valid(const char *s)
{
	char camp[72];

	return attempt_campaign(camp, sizeof(camp), s) == 0;
}

int attempt_campaign(char *out, size_t n, const char *attempt_id)
{
	const char *last, *prev;
	char camp[72];

	if (attempt_id_parse(attempt_id, NULL, NULL))
		return GD_EINVALID;
	last = strrchr(attempt_id, '.');
	for (prev = last - 1; *prev != '.'; prev--)
		;
	if ((size_t)(prev - attempt_id) >= sizeof(camp))
		return GD_EINVALID;
	memcpy(camp, attempt_id, (size_t)(prev - attempt_id));
	camp[prev - attempt_id] = '\0';
	if (!id_valid(camp) || (size_t)(prev - attempt_id) >= n)
		return GD_EINVALID;
	memcpy(out, camp, (size_t)(prev - attempt_id) + 1);
	return 0;
}
