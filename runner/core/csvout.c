#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "err.h"
#include "banned.h"

int csvout_risky(const char *v)
{
	return v && v[0] && strchr("=+-@\t\r", v[0]) != NULL;
}

int csvout_field(struct buf *b, const char *v)
{
	size_t len = strlen(v), n = len + (csvout_risky(v) ? 1 : 0), need;
	char *src, *dst;
	int rc;

	if (!(src = malloc(n + 1)))
		return gd_error_set("out of memory");
	src[0] = '\'';
	memcpy(src + (n - len), v, len);
	need = csv_write(NULL, 0, src, n);
	if (!(dst = malloc(need + 1))) {
		free(src);
		return gd_error_set("out of memory");
	}
	csv_write(dst, need, src, n);
	rc = buf_put(b, dst, need);
	free(dst);
	free(src);
	return rc;
}
