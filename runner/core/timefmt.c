/* RFC 3339 times, "HH:MM" and the civil calendar (timefmt.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "timefmt.h"
#include "banned.h"

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int time_parse_rfc3339(time_t *out, const char *s)
{
	int Y, M, D, h, m, sec = 0, oh, om, sign;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 17)
		return GD_EINVALID;
	if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m))
		return GD_EINVALID;
	p = s + 16;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return GD_EINVALID;
		p += 3;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return GD_EINVALID;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return GD_EINVALID;
	if (*p == 'Z' || *p == 'z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return GD_EINVALID;
		p += 6;
	} else {
		return GD_EINVALID;
	}
	if (*p)
		return GD_EINVALID;
	if (D > days_in_month(Y, M)) /* no Feb 30 */
		return GD_EINVALID;
	t = (time_t)days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 +
	    (sec > 59 ? 59 : sec);
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

void time_format_utc(char out[21], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int time_parse_hhmm(const char *s, int allow_24)
{
	int h, m;

	if (!s || strlen(s) != 5 || s[2] != ':' || digits(s, 2, &h) ||
	    digits(s + 3, 2, &m) || m > 59)
		return -1;
	if (h == 24 && m == 0 && allow_24)
		return 1440;
	if (h > 23)
		return -1;
	return h * 60 + m;
}
