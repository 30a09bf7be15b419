#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "banned.h"

static _Thread_local char last[1024];

int gd_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	return GD_ERROR;
}

void gd_error_prefix(const char *fmt, ...)
{
	char pre[512], old[sizeof(last)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, last, sizeof(old));
	/* truncation is fine: messages are for people */
	if (snprintf(last, sizeof(last), "%.500s: %.500s", pre,
		     old[0] ? old : "failed") < 0)
		last[0] = '\0';
}

const char *gd_error_last(void)
{
	return last[0] ? last : "unknown error";
}

void gd_error_clear(void)
{
	last[0] = '\0';
}
