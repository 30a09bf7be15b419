/* text.h's checked and cutting snprintf. */
#include <string.h>

#include "err.h"
#include "text.h"
#include "tap.h"

int main(void)
{
	char out[8], big[64];
	int rc;

	CHECK(str_fmt(out, sizeof(out), "%s/%d", "ab", 12) == 0 &&
	      !strcmp(out, "ab/12"), "str_fmt: a text that fits");
	rc = str_fmt(out, sizeof(out), "%s", "abcdefgh");
	CHECK(rc == GD_EINVALID && strlen(out) == 7 &&
	      strstr(gd_error_last(), "longer than 7 bytes"),
	      "str_fmt: one byte too many is refused: %s", gd_error_last());
	CHECK(str_fmt(out, sizeof(out), "%s", "abcdefg") == 0,
	      "str_fmt: exactly n - 1 bytes fit");
	str_fmt_cut(out, sizeof(out), "%s", "abcdefghij");
	CHECK(!strcmp(out, "abcdefg"), "str_fmt_cut: ASCII cut at n - 1");
	/* "abcde" + "é" (2 bytes) = 7 bytes: fits exactly */
	str_fmt_cut(out, sizeof(out), "abcde%s", "\xc3\xa9");
	CHECK(!strcmp(out, "abcde\xc3\xa9"), "str_fmt_cut: a whole character kept");
	/* "abcdef" + "é": the cut would leave half of it */
	str_fmt_cut(out, sizeof(out), "abcdef%s", "\xc3\xa9xyz");
	CHECK(!strcmp(out, "abcdef"), "str_fmt_cut: never half a character");
	/* a 4-byte character cut after 1, 2 or 3 of its bytes */
	str_fmt_cut(out, sizeof(out), "abcd%s", "\xf0\x9f\x98\x80");
	CHECK(!strcmp(out, "abcd"), "str_fmt_cut: a 4-byte character dropped whole");
	str_fmt_cut(out, sizeof(out), "abc%s", "\xf0\x9f\x98\x80");
	CHECK(!strcmp(out, "abc\xf0\x9f\x98\x80"), "str_fmt_cut: and kept when it fits");
	str_fmt_cut(big, sizeof(big), "%02d-%02d", 3, 7);
	CHECK(!strcmp(big, "03-07"), "str_fmt_cut: formats like snprintf");
	return finish();
}
