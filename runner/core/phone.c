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

extern const char gd_data_phone_types[];

/*
 * Per country calling code, a digit automaton over the national number
 * (schemas/data/phone-types.txt): state s's targets are types_next[10*s
 * .. 10*s+9] (UINT32_MAX: none), types_accept[s] whether a number may end
 * there. cc_root[cc] is the code's start state plus 1; 0 when the code
 * has no automaton (only its lengths are checked).
 */
static uint32_t *types_next;
static uint8_t *types_accept;
static uint32_t cc_root[1000];
static pthread_once_t types_once = PTHREAD_ONCE_INIT;

/* One state line ("A" or ".", ten targets with "T*K" runs) at base. */
static int types_state(const char *p, uint32_t s, uint32_t base, uint32_t n)
{
	unsigned d = 0;
	char *end;

	types_accept[s] = *p++ == 'A';
	while (d < 10) {
		unsigned long t = UINT32_MAX, k = 1;
		if (*p == '-')
			p++;
		else if ((t = strtoul(p, &end, 10)) >= n || end == p)
			return -1;
		else
			p = end, t += base;
		if (*p == '*' && ((k = strtoul(p + 1, &end, 10)) < 1 || k > 10 - d))
			return -1;
		if (*p == '*')
			p = end;
		while (k--)
			types_next[10 * s + d++] = (uint32_t)t;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void types_load(void)
{
	const char *p = gd_data_phone_types, *q;
	size_t total = 0;
	uint32_t s = 0;

	for (q = p; *q; q++) /* an upper bound: one state per line */
		total += *q == '\n';
	if (!(types_next = malloc(total * 10 * sizeof(*types_next))) ||
	    !(types_accept = malloc(total ? total : 1))) {
		free(types_next);
		types_next = NULL; /* lengths only, everywhere */
		return;
	}
	while (*p) {
		const char *eol = strchr(p, '\n');
		char *end;
		long cc = *p == '#' ? 0 : strtol(p, &end, 10);
		unsigned long root, n, i;
		if (cc > 0 && cc < 1000 && *end == '|' && end[1] != '*' &&
		    (root = strtoul(end + 1, &end, 10), *end == '|') &&
		    (n = strtoul(end + 1, &end, 10)) > 0 && root < n &&
		    s + n <= total) {
			uint32_t base = s;
			for (i = 0; i < n && eol; i++, s++) {
				p = eol + 1;
				eol = strchr(p, '\n');
				if (types_state(p, s, base, (uint32_t)n))
					break;
			}
			if (i == n)
				cc_root[cc] = base + (uint32_t)root + 1;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
}

/*
 * Whether the national number d (len digits) of code cc fits a number
 * type's pattern; when not, why names the digits no type continues with.
 */
static int types_fit(unsigned cc, const char *d, size_t len, char *why,
		     size_t n)
{
	uint32_t s;
	size_t i;

	pthread_once(&types_once, types_load);
	if (!types_next || !cc_root[cc])
		return 0;
	s = cc_root[cc] - 1;
	for (i = 0; i < len; i++) {
		uint32_t from = s;
		s = types_next[10 * s + (unsigned)(d[i] - '0')];
		if (s == UINT32_MAX && i + 1 == len && types_accept[from]) {
			snprintf(why, n, "cannot exist: +%u numbers starting +%u "
				 "%.*s have %zu digits after the country code, not "
				 "%zu", cc, cc, (int)(i < 4 ? i : 4), d, i, len);
			return -1;
		}
		if (s == UINT32_MAX) {
			snprintf(why, n, "cannot exist: no +%u number (fixed-line, "
				 "mobile or other type) starts +%u %.*s", cc, cc,
				 (int)(i + 1), d);
			return -1;
		}
	}
	if (types_accept[s])
		return 0;
	snprintf(why, n, "cannot exist: +%u numbers starting +%u %.*s do not "
		 "have %zu digits after the country code", cc, cc,
		 (int)(len < 4 ? len : 4), d, len);
	return -1;
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
	return types_fit(cc, d + k, len - k, why, n);
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
