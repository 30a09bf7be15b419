/*
 * Attempt ids (attempt.h): made and parsed back, and the one set of
 * limits every part of gitdial now shares (the runner allowed attempts
 * up to 15 while the webhooks' check allowed 99, and the runner took a
 * sign or spaces in the key).
 */
#include <stdint.h>
#include <string.h>

#include "attempt.h"
#include "tap.h"

int main(void)
{
	char id[ATTEMPT_ID_MAX], camp[72];
	uint64_t key = 0;
	int n = 0;

	attempt_id_make(id, sizeof(id), "nov-reminders", 12125550100ULL, 3);
	CHECK(!strcmp(id, "nov-reminders.12125550100.3"), "made: %s", id);
	CHECK(attempt_id_parse(id, &key, &n) == 0 && key == 12125550100ULL && n == 3,
	      "parsed back: key and attempt");
	CHECK(attempt_id_valid(id) && attempt_campaign(camp, sizeof(camp), id) == 0 &&
	      !strcmp(camp, "nov-reminders"), "valid, campaign nov-reminders");
	attempt_id_make(id, sizeof(id), "a", 999999999999999ULL, ATTEMPTS_MAX);
	CHECK(attempt_id_valid(id), "15 digits and attempt %d: valid (%s)",
	      ATTEMPTS_MAX, id);
	CHECK(strlen("x.1.1") < ATTEMPT_ID_MAX, "ATTEMPT_ID_MAX has room");
	CHECK(!attempt_id_valid("a.1.16"), "attempt 16 (past ATTEMPTS_MAX) refused");
	CHECK(attempt_id_parse("a.1.16", &key, &n) == -1, "... by the parser too");
	CHECK(!attempt_id_valid("a.1.0") && !attempt_id_valid("a.0.1"),
	      "attempt 0 and key 0 refused");
	CHECK(!attempt_id_valid("a.1234567890123456.1"), "16 key digits refused");
	CHECK(!attempt_id_valid("a.+1212.1") && attempt_id_parse("a.+1212.1", &key, &n),
	      "a signed key refused (strtoull took it)");
	CHECK(!attempt_id_valid("a. 1212.1") && !attempt_id_valid("a.12x.1"),
	      "spaces or letters in the key refused");
	CHECK(!attempt_id_valid("a.1.1 ") && !attempt_id_valid("a.1.100"),
	      "a trailing space or three attempt digits refused");
	CHECK(!attempt_id_valid(".1.1") && !attempt_id_valid("1.1") &&
	      !attempt_id_valid("") && !attempt_id_valid(NULL),
	      "no campaign, too few parts, empty, NULL: refused");
	CHECK(!attempt_id_valid("Nov.1.1") && !attempt_id_valid("a/b.1.1"),
	      "a campaign id that is not one refused");
	CHECK(attempt_campaign(camp, 3, "abc.1.1") != 0,
	      "a campaign that does not fit out is refused, not cut");
	return finish();
}
