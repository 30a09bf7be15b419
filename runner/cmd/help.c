/*
 * gitdial help CMD and gitdial CMD -h|--help: a command's usage with
 * every option explained. The texts live here, one per command, so the
 * commands keep their one-line usage for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

#define REPO "  --repo PATH        the campaign repository (default: the current directory)\n"
#define REMOTE "  --remote NAME      fetch NAME first, commit on its branch and push there\n"
#define AUTHOR "  --author \"N <e>\"   who the commit is by (default: git config user.name/email)\n"
#define NOW_READ "  --now RFC3339      read the repository as at this time (default: the clock)\n"
#define NOW_TEST "  --now RFC3339      tests only (GITDIAL_TEST_ALLOW_NOW=1): what writes uses the clock\n"
#define FMT_TJ "  --format text|json the output: for people (default) or one JSON document\n"

struct help {
	const char *cmd;
	const char *text;
};

static const struct help helps[] = {
	{ "init", "usage: gitdial init [--branch NAME] DIR\n\n"
	  "Writes a working campaign repository into DIR (sample campaigns on the\n"
	  "sim carrier, a DNC file, CI workflows), runs git init and commits.\n\n"
	  "  --branch NAME      the branch to commit on (default: main)\n" },
	{ "validate", "usage: gitdial validate [--repo PATH] [--format text|github|json] [--strict]\n"
	  "                        [--base REV] [--] [PATH...]\n\n"
	  "Checks the work tree as a pull request's CI sees it. Definition errors\n"
	  "exit 1; audience row problems are warnings unless --strict.\n\n"
	  REPO
	  "  --format F         text (file:line: level: field: message), github (CI\n"
	  "                     annotations) or json\n"
	  "  --strict           warnings fail the check too (exit 1)\n"
	  "  --base REV         also check what the commits since REV changed (a pull\n"
	  "                     request against REV): removed rows, edits of a running campaign\n"
	  "  PATH...            only the campaigns these changed files belong to\n" },
	{ "plan", "usage: gitdial plan ID [--repo PATH] [--now RFC3339] [--format text|json]\n\n"
	  "What campaign ID will do: who can be called when, by window and legal hours.\n\n"
	  REPO NOW_READ FMT_TJ },
	{ "tick", "usage: gitdial tick [--repo PATH] [--remote NAME] [--now RFC3339] [--shard I/N]\n"
	  "                    [--dry-run] [--spool DIR] [--max-seconds N] [--format text|json]\n"
	  "                    [--for DURATION [--every SECONDS]]\n\n"
	  "One pass of the runner: ingest webhook events, reconcile, claim and place\n"
	  "the next calls, each step a commit.\n\n"
	  REPO
	  "  --remote NAME      fetch NAME first and push every commit there\n"
	  "  --now RFC3339      the clock (tests and rehearsals; default: the real clock)\n"
	  "  --shard I/N        only the campaigns of shard I of N (gitdial list --shards N)\n"
	  "  --dry-run          print the batch it would claim; change nothing\n"
	  "  --spool DIR        the webhook spool (default: .git/gitdial/spool)\n"
	  "  --max-seconds N    stop starting calls after N seconds\n"
	  FMT_TJ
	  "  --for DURATION     tick again and again for DURATION (270, 4m30s, 1h; at most 24h)\n"
	  "  --every SECONDS    with --for: seconds between ticks (default 10)\n" },
	{ "ingest", "usage: gitdial ingest [--repo PATH] [--remote NAME] [--spool DIR] [--now RFC3339]\n"
	  "                      [--format text|json]\n\n"
	  "Commits the webhook spool to the log (on the webhook host), dialing nobody.\n\n"
	  REPO
	  "  --remote NAME      fetch NAME first and push the commit there\n"
	  "  --spool DIR        the webhook spool (default: .git/gitdial/spool)\n"
	  "  --now RFC3339      the clock (tests; default: the real clock)\n"
	  FMT_TJ },
	{ "list", "usage: gitdial list [--repo PATH] [--search TEXT] [--provider P,...] [--status S,...]\n"
	  "                    [--archived|--deleted] [--shards N] [--now RFC3339]\n"
	  "                    [--format table|json]\n\n"
	  "The campaigns table. A campaign that cannot be read is a row with status\n"
	  "error and the reason, whatever the filters; the exit code is then 1.\n\n"
	  REPO
	  "  --search TEXT      names containing TEXT, case folded (Unicode), at most 120\n"
	  "                     characters\n"
	  "  --provider P,...   only these providers: twilio, telnyx, sip, whatsapp, sim\n"
	  "  --status S,...     only these: draft, scheduled, dialing, paused, completed,\n"
	  "                     failed, error (commas, spaces around them ignored)\n"
	  "  --archived         the archived tab (archived/)\n"
	  "  --deleted          the deleted tab (deleted/), with when each was deleted and\n"
	  "                     when the tick purges it\n"
	  "  --shards N         add the shard column: which `tick --shard I/N` dials each\n"
	  NOW_READ
	  "  --format F         table (default) or json\n" },
	{ "show", "usage: gitdial show ID [--repo PATH] [--now RFC3339] [--archived|--deleted]\n"
	  "                   [--format text|json]\n"
	  "       gitdial show ID --calls [--outcome X[,Y]] [--limit N] [--full-numbers]\n"
	  "                   [--format text|json]\n\n"
	  "One campaign in detail: status, progress, outcomes, what comes next\n"
	  "(the next tick's own verdict: who it would dial, who waits for caps or\n"
	  "for a window that never opens). With --calls, its conversations.\n\n"
	  REPO NOW_READ
	  "  --archived         ID is under archived/\n"
	  "  --deleted          ID is under deleted/ (shows when it is purged)\n"
	  "  --calls            every call, newest first: outcome, duration, sentiment,\n"
	  "                     summary, transcript and recording links\n"
	  "  --outcome X[,Y]    with --calls: only these outcomes (answered, no_answer...)\n"
	  "  --limit N          with --calls: at most N calls (default 50)\n"
	  "  --full-numbers     with --calls: whole phone numbers, not masked\n"
	  FMT_TJ },
	{ "pause", "usage: gitdial pause ID... [--repo PATH] [--remote NAME] [--author \"Name <email>\"]\n"
	  "                    [--format text|json]\n\n"
	  "Pauses Dialing campaigns (one commit for all): campaign.json \"status\":\n"
	  "\"paused\" and a status event; calls in flight finish and are recorded.\n"
	  "Refuses an id whose files you changed and did not commit.\n\n"
	  REPO REMOTE AUTHOR FMT_TJ NOW_TEST },
	{ "resume", "usage: gitdial resume ID... [--repo PATH] [--remote NAME] [--author \"Name <email>\"]\n"
	  "                     [--format text|json]\n\n"
	  "Resumes Paused campaigns (paused by campaign.json, the circuit breaker or\n"
	  "an account error), one commit for all; or a Failed one once its cause is\n"
	  "fixed: it goes on from its own log, dialing only who is not final.\n\n"
	  REPO REMOTE AUTHOR FMT_TJ NOW_TEST },
	{ "archive", "usage: gitdial archive ID... [--repo PATH] [--remote NAME] [--author \"Name <email>\"]\n"
	  "                      [--yes] [--format text|json]\n\n"
	  "Moves campaigns that are not Dialing and have nothing in flight to\n"
	  "archived/ (gitdial restore brings them back); the log stays.\n\n"
	  REPO REMOTE AUTHOR
	  "  --yes              do not ask (needed when stdin is not a terminal)\n"
	  FMT_TJ NOW_TEST },
	{ "delete", "usage: gitdial delete ID... [--repo PATH] [--remote NAME] [--author \"Name <email>\"]\n"
	  "                     [--yes] [--format text|json]\n\n"
	  "Moves campaigns to deleted/ with a marker saying when and by whom:\n"
	  "restorable for 30 days, then the first tick purges the folder (its\n"
	  "history and log stay in git).\n\n"
	  REPO REMOTE AUTHOR
	  "  --yes              do not ask (needed when stdin is not a terminal)\n"
	  FMT_TJ NOW_TEST },
	{ "restore", "usage: gitdial restore ID... [--repo PATH] [--remote NAME] [--author \"Name <email>\"]\n"
	  "                      [--format text|json]\n\n"
	  "Brings deleted (less than 30 days ago) or archived campaigns back where\n"
	  "they came from.\n\n"
	  REPO REMOTE AUTHOR FMT_TJ NOW_TEST },
	{ "duplicate", "usage: gitdial duplicate ID... [--repo PATH] [--remote NAME]\n"
	  "                        [--author \"Name <email>\"] [--remaining] [--as NEW_ID]\n"
	  "                        [--format text|json]\n\n"
	  "Copies campaigns as new Drafts named \"... (copy)\", with no log; the file\n"
	  "keeps its formatting and a start_at in the past is removed. A plain copy\n"
	  "calls everyone again; --remaining copies only who was not reached.\n\n"
	  REPO REMOTE AUTHOR
	  "  --remaining        only the recipients of a Failed or Paused campaign not yet\n"
	  "                     final, rows copied verbatim; the original then ends Failed\n"
	  "                     (\"remaining: ... moved to\"), so no one is called twice\n"
	  "  --as NEW_ID        the copy's id (one campaign only; default ID-copy, ID-copy-2...)\n"
	  FMT_TJ NOW_TEST },
	{ "report", "usage: gitdial report --out DIR [--repo PATH] [--now RFC3339] [--format text|json]\n\n"
	  "Writes the static HTML dashboard of the branch head.\n\n"
	  "  --out DIR          where to write index.html and the campaign pages\n"
	  REPO NOW_READ FMT_TJ },
	{ "export", "usage: gitdial export ID --out FILE.tar.gz|FILE.tgz|FILE.zip [--repo PATH]\n"
	  "                     [--now RFC3339] [--format text|json]\n\n"
	  "Writes campaign ID's audit bundle (definition, log, outcomes.csv, manifest).\n\n"
	  "  --out FILE         the bundle; its extension picks tar.gz or zip\n"
	  REPO NOW_READ FMT_TJ },
	{ "audit", "usage: gitdial audit [ID...] [--since REV] [--format text|json|html] [--out DIR]\n"
	  "                    [--repo PATH]\n\n"
	  "Re-checks every promise the runner makes from the history alone. Exit 0\n"
	  "when all hold, 1 with findings, 2 on a usage error, 3 when it cannot read.\n\n"
	  "  ID...              only these campaigns (default: all)\n"
	  "  --since REV        only findings in commits that are not ancestors of REV\n"
	  "  --format F         text (default), json, or html (with --out)\n"
	  "  --out DIR          where --format html writes its pages\n"
	  REPO },
	{ "new", "usage: gitdial new [options]\n\n"
	  "Creates a campaign on a new branch campaign/<id> (a wizard on a terminal,\n"
	  "else from the flags); the checked-out branch and work tree are not touched.\n\n"
	  REPO
	  "  --remote NAME      fetch the base from NAME first and push the branch there\n"
	  "  --base BRANCH      the branch to start from (default: the checked-out one)\n"
	  AUTHOR
	  "  --yes              no questions: take the flags and the defaults\n"
	  FMT_TJ
	  "  --id ID            the campaign's id (folder and branch name)\n"
	  "  --name TEXT        its name (1-120 characters, not blank)\n"
	  "  --account NAME     the account of gitdial.json that places the calls\n"
	  "  --caller-id E164   the number calls come from (one of the account's)\n"
	  "  --script-mode M    agent (the agent's own prompt) or override (your script)\n"
	  "  --script-text TEXT the script (override mode)\n"
	  "  --script-file PATH the script, from a file\n"
	  "  --audience FILE    the recipients' CSV (copied into the campaign)\n"
	  "  --segment NAME     or a segment of segments/\n"
	  "  --concurrency N    calls at once\n"
	  "  --window HH:MM-HH:MM  the hours to call, in the recipient's local time\n"
	  "  --days D           the days to call: mon,tue,... or mon-fri\n"
	  "  --retries N        further attempts after the first\n"
	  "  --cooldown M,...   minutes before each retry\n"
	  "  --retry-on O,...   the outcomes that are retried (no_answer,busy,...)\n"
	  "  --voicemail V      hang_up or leave_message\n"
	  "  --start-at T       when it may start (RFC 3339, in the future)\n"
	  "  --end-at T         when it stops calling (RFC 3339)\n"
	  NOW_TEST },
	{ "dnc", "usage: gitdial dnc add PHONE... [--reason TEXT] [--source TEXT]\n"
	  "       gitdial dnc remove PHONE... --reason TEXT [--source TEXT]\n"
	  "       gitdial dnc list [--all]\n"
	  "       gitdial dnc check PHONE...\n"
	  "  common: [--repo PATH] [--remote NAME] [--author \"Name <email>\"] [--format text|json]\n\n"
	  "The do-not-call list: add and remove append an entry (one commit each);\n"
	  "nothing is ever edited.\n\n"
	  "  --reason TEXT      why (required for remove, which is audited)\n"
	  "  --source TEXT      where the request came from (default: the author)\n"
	  "  --all              list: every entry, also numbers removed since\n"
	  REPO REMOTE AUTHOR FMT_TJ
	  "  --now RFC3339      list and check: read as at this time; add and remove:\n"
	  "                     tests only (GITDIAL_TEST_ALLOW_NOW=1)\n" },
	{ "demo", "usage: gitdial demo [--dir DIR] [--start RFC3339] [--max-ticks N] [--quiet]\n\n"
	  "Runs the two sim sample campaigns to the end on a simulated clock, then\n"
	  "writes the HTML report beside the repository (DIR-report/).\n\n"
	  "  --dir DIR          where to make the repository (default: a new temporary one)\n"
	  "  --start RFC3339    the simulated clock's start (default 2026-11-24T06:00:00Z)\n"
	  "  --max-ticks N      give up after N ticks (default 5000)\n"
	  "  --quiet            no line per tick\n" },
	{ "rules", "usage: gitdial rules [JURISDICTION | +NUMBER] [--repo PATH] [--format text|json]\n"
	  "       gitdial rules --check FILE...\n\n"
	  "The compliance rules pack: all of it, or what applies to a jurisdiction\n"
	  "or a number, each rule with its source and effective date.\n\n"
	  "  JURISDICTION       e.g. US, US-CA, SA\n"
	  "  +NUMBER            a phone number in E.164: the rules of where it is\n"
	  "  --check FILE...    validate rules pack files\n"
	  REPO FMT_TJ },
	{ "version", "usage: gitdial version\n\nPrints gitdial's version.\n" },
	{ "help", "usage: gitdial help [COMMAND]\n\n"
	  "Lists the commands, or explains COMMAND and each of its options (as\n"
	  "gitdial COMMAND --help does).\n" },
};

int help_print(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(helps[i].cmd, cmd)) {
			fputs(helps[i].text, stdout);
			return 0;
		}
	return -1;
}
