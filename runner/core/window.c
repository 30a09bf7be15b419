#include <string.h>

#include "window.h"
#include "banned.h"

const char *const weekday_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

void daywin_clear(struct daywin *w)
{
	memset(w, 0, sizeof(*w));
}

void daywin_fill(struct daywin *w)
{
	daywin_clear(w);
	daywin_add(w, 0x7f, 0, 1440);
}

void daywin_add(struct daywin *w, unsigned days, int start, int end)
{
	int d, m;

	if (start < 0)
		start = 0;
	if (end > 1440)
		end = 1440;
	for (d = 0; d < 7; d++) {
		if (!(days & (1u << d)))
			continue;
		for (m = start; m < end; m++)
			w->bits[d][m / 64] |= 1ULL << (m % 64);
	}
}

void daywin_intersect(struct daywin *w, const struct daywin *other)
{
	int d, i;

	for (d = 0; d < 7; d++)
		for (i = 0; i < WIN_WORDS; i++)
			w->bits[d][i] &= other->bits[d][i];
}

int daywin_contains(const struct daywin *w, int wday, int minute)
{
	if (wday < 0 || wday > 6 || minute < 0 || minute >= 1440)
		return 0;
	return (w->bits[wday][minute / 64] >> (minute % 64)) & 1;
}

int daywin_empty(const struct daywin *w)
{
	int d, i;

	for (d = 0; d < 7; d++)
		for (i = 0; i < WIN_WORDS; i++)
			if (w->bits[d][i])
				return 0;
	return 1;
}

int weekday_parse(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (s && !strcmp(s, weekday_names[i]))
			return i;
	return -1;
}
