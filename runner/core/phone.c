#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"
#include "banned.h"

int phone_normalize(char out[PHONE_MAX], const char *in, size_t len,
		    const char **why)
{
	size_t i = 0, n = 0;
	int plus = 0;

	while (i < len && (in[i] == ' ' || in[i] == '\t'))
		i++;
	while (len > i && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (i == len) {
		*why = "is empty";
		return -1;
	}
	if (in[i] == '+') {
		plus = 1;
		i++;
	} else if (len - i >= 2 && in[i] == '0' && in[i + 1] == '0') {
		plus = 1;
		i += 2;
	}
	if (!plus) {
		*why = "has no country code (expected + or 00 first)";
		return -1;
	}
	out[n++] = '+';
	for (; i < len; i++) {
		char c = in[i];
		if (c >= '0' && c <= '9') {
			if (n >= 16) {
				*why = "has more than 15 digits";
				return -1;
			}
			out[n++] = c;
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' ||
			   c == ')' || c == '\t') {
			continue;
		} else {
			*why = "has a character that is not a digit or separator";
			return -1;
		}
	}
	out[n] = '\0';
	if (n - 1 < 8) {
		*why = "has fewer than 8 digits";
		return -1;
	}
	if (out[1] == '0') {
		*why = "has a country code starting with 0";
		return -1;
	}
	return 0;
}

extern const char gd_data_phone_lengths[];

/* Per country calling code: bit L set when L national digits can be. */
static uint32_t cc_lengths[1000];
static pthread_once_t cc_once = PTHREAD_ONCE_INIT;

static void cc_load(void)
{
	const char *p = gd_data_phone_lengths;

	while (*p) {
		const char *eol = strchr(p, '\n');
		if (*p != '#') {
			char *end;
			long cc = strtol(p, &end, 10), l;
			if (cc > 0 && cc < 1000 && *end == '|') {
				for (p = end + 1; (l = strtol(p, &end, 10)) > 0 && end > p;
				     p = end + (*end == ',')) {
					if (l < 32)
						cc_lengths[cc] |= 1u << l;
					if (*end != ',')
						break;
				}
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
}

int phone_possible(const char *e164, char *why, size_t n)
{
	const char *d = e164 + (*e164 == '+');
	size_t len = strlen(d), k;
	unsigned cc = 0;

	pthread_once(&cc_once, cc_load);
	/* country calling codes are prefix-free: the first known one */
	for (k = 1; k <= 3 && k < len; k++) {
		cc = cc * 10 + (unsigned)(d[k - 1] - '0');
		if (cc_lengths[cc])
			break;
	}
	if (k > 3 || k >= len || !cc_lengths[cc]) {
		snprintf(why, n, "has a country code no country or service uses");
		return -1;
	}
	if (len - k >= 32 || !(cc_lengths[cc] & (1u << (len - k)))) {
		char want[128] = "";
		size_t at = 0;
		unsigned l, left = (unsigned)__builtin_popcount(cc_lengths[cc]);
		for (l = 1; l < 32 && at < sizeof(want); l++)
			if (cc_lengths[cc] & (1u << l)) {
				left--;
				at += (size_t)snprintf(want + at, sizeof(want) - at,
						       "%s%u", !at ? "" : left ? ", "
						       : " or ", l);
			}
		snprintf(why, n, "cannot exist: +%u numbers have %s digits after "
			 "the country code, not %zu", cc, want, len - k);
		return -1;
	}
	return 0;
}

int phone_is_e164(const char *s)
{
	size_t i, n;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strlen(s) - 1;
	if (n < 8 || n > 15)
		return 0;
	for (i = 1; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

uint64_t phone_key(const char *e164)
{
	uint64_t k = 0;
	const char *p;

	for (p = e164 + (*e164 == '+'); *p >= '0' && *p <= '9'; p++)
		k = k * 10 + (uint64_t)(*p - '0');
	return k;
}
