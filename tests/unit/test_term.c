/*
 * Unit tests for term.c: repository text on a terminal. Control
 * characters, C1 controls, bidi overrides and bytes that are not UTF-8
 * become visible escapes; other text (Arabic included) is kept; a cut
 * never splits a character or an escape; term_unsafe names the first.
 */
#include <stdio.h>
#include <string.h>

#include "term.h"

#include "tap.h"

static void safe_is(const char *in, const char *want)
{
	char out[256];

	term_safe(out, sizeof(out), in);
	CHECK(!strcmp(out, want), "term_safe(%s) is %s (got %s)", want, want, out);
}

int main(void)
{
	char out[8], why[32];

	safe_is("plain text", "plain text");
	safe_is("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07");
	safe_is("a\rb\nc\td", "a\\rb\\nc\\td");
	safe_is("back\\slash", "back\\\\slash");
	safe_is("\x7f", "\\x7f");
	safe_is("\xc2\x9b" "2J", "\\u009b2J");                 /* C1 CSI */
	safe_is("\xe2\x80\xae" "evil", "\\u202eevil");         /* RLO */
	safe_is("\xe2\x81\xa6" "x", "\\u2066x");               /* LRI */
	safe_is("\xff\xfe", "\\xff\\xfe");                     /* not UTF-8 */
	safe_is("\xc0\xaf", "\\xc0\\xaf");                     /* overlong */
	safe_is("\xed\xa0\x80", "\\xed\\xa0\\x80");            /* surrogate */
	safe_is("\xd8\xa7\xd8\xb3\xd8\xaa", "\xd8\xa7\xd8\xb3\xd8\xaa"); /* Arabic */
	safe_is("\xf0\x9f\x93\x9e", "\xf0\x9f\x93\x9e");       /* emoji */

	term_safe(out, 5, "ab\x1b" "cdef");
	CHECK(!strcmp(out, "ab"), "a cut never splits an escape (got %s)", out);
	term_safe(out, 7, "abcde\xd8\xa7\xd8\xb3");
	CHECK(!strcmp(out, "abcde"), "a cut never splits a character (got %s)", out);

	CHECK(term_unsafe("fine \xd8\xa7", why, sizeof(why)) == 0, "plain text is safe");
	CHECK(term_unsafe("ab\x1b[2J", why, sizeof(why)) == 3 &&
	      !strcmp(why, "ESC (0x1b)"), "ESC is named at its offset (%s)", why);
	CHECK(term_unsafe("a\nb", why, sizeof(why)) == 2 && !strcmp(why, "LF (0x0a)"),
	      "LF is named (%s)", why);
	CHECK(term_unsafe("x\xc2\x9b", why, sizeof(why)) == 2 &&
	      !strcmp(why, "U+009b"), "a C1 control is named (%s)", why);
	CHECK(term_unsafe("back\\slash", why, sizeof(why)) == 0,
	      "a backslash is not a control character");
	CHECK(!strcmp(term_str(NULL), ""), "term_str(NULL) is empty");
	return finish();
}
