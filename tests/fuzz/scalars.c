/*
 * Fuzz target: the small parsers of outside text, as C strings:
 * time_parse_rfc3339 (campaign start_at, log ts), time_parse_hhmm
 * (windows), utf8_check/utf8_len, id_valid, attempt_id_parse. Invariants:
 * a parsed time formats and parses back to itself; utf8_check's answer
 * agrees with a prefix check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), fmt[21];
	time_t t, t2;
	uint64_t key;
	int n, m;
	size_t bad;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* years 1970-9999 print as four digits and must come back */
	if (time_parse_rfc3339(&t, s) == 0 && t >= 0 && t < 253402300800LL) {
		time_format_utc(fmt, t);
		if (time_parse_rfc3339(&t2, fmt) || t2 != t)
			abort();
	}
	m = time_parse_hhmm(s, 1);
	if (m < -1 || m > 1440)
		abort();
	bad = utf8_check((const char *)data, size);
	if (bad > size)
		abort();
	if (bad && utf8_check((const char *)data, bad - 1))
		abort(); /* everything before the first bad byte is fine */
	(void)utf8_len(s);
	if (id_valid(s) && (strlen(s) > 64 || !strlen(s)))
		abort();
	if (attempt_id_parse(s, &key, &n) == 0 && (n < 1 || n > ATTEMPTS_MAX || !key))
		abort();
	free(s);
	return 0;
}
