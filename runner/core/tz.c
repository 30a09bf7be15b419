#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "tz.h"
#include "util.h"
#include "banned.h"

#define ZONEINFO "/usr/share/zoneinfo"

static char current[128];

static int use_zone(const char *zone)
{
	if (!strcmp(current, zone))
		return 0;
	if (strlen(zone) >= sizeof(current))
		return GD_EINVALID;
	if (setenv("TZ", zone, 1))
		return GD_ERROR;
	tzset();
	snprintf(current, sizeof(current), "%s", zone);
	return 0;
}

int tz_valid(const char *name)
{
	char path[256], magic[4];
	const char *p;
	FILE *f;
	int ok;

	if (!name || !*name || strlen(name) > 100 || name[0] == '/' ||
	    strstr(name, ".."))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		      *p == '-' || *p == '+'))
			return 0;
	snprintf(path, sizeof(path), ZONEINFO "/%s", name);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

int tz_local(struct tm *out, const char *zone, time_t t)
{
	if (use_zone(zone))
		return GD_EINVALID;
	if (!localtime_r(&t, out))
		return GD_EINVALID;
	return 0;
}

time_t tz_mktime(const char *zone, struct tm *tm)
{
	if (use_zone(zone))
		return (time_t)-1;
	return mktime(tm);
}

struct zone_country {
	char zone[64];
	char cc[3];
};

static struct zone_country *zc;
static size_t zc_n;
static int zc_loaded;

static void load_zone_tab(void)
{
	struct buf b = BUF_INIT(1 << 20);
	char *line, *save = NULL;

	zc_loaded = 1;
	if (file_read(&b, ZONEINFO "/zone.tab", b.max))
		goto done;
	for (line = strtok_r(b.ptr, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cc, *coord, *zone, *s2 = NULL;
		struct zone_country *n;
		if (line[0] == '#')
			continue;
		cc = strtok_r(line, "\t", &s2);
		coord = strtok_r(NULL, "\t", &s2);
		zone = strtok_r(NULL, "\t", &s2);
		if (!cc || !coord || !zone || strlen(cc) != 2)
			continue;
		n = realloc(zc, (zc_n + 1) * sizeof(*zc));
		if (!n)
			break;
		zc = n;
		snprintf(zc[zc_n].zone, sizeof(zc[zc_n].zone), "%s", zone);
		memcpy(zc[zc_n].cc, cc, 3);
		zc_n++;
	}
done:
	buf_release(&b);
}

static const char *lookup_cc(const char *zone)
{
	size_t i;

	for (i = 0; i < zc_n; i++)
		if (!strcmp(zc[i].zone, zone))
			return zc[i].cc;
	return NULL;
}

const char *tz_country(const char *zone)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *cc;
	size_t n = strlen(ZONEINFO "/");

	if (!zc_loaded)
		load_zone_tab();
	if ((cc = lookup_cc(zone)))
		return cc;
	if (!tz_valid(zone))
		return NULL;
	snprintf(path, sizeof(path), ZONEINFO "/%s", zone);
	if (!realpath(path, real) || strncmp(real, ZONEINFO "/", n))
		return NULL;
	return lookup_cc(real + n);
}
