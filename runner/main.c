/*
 * gitdial: outbound voice campaigns run from a git repository.
 * One file per subcommand under cmd/, registered here (as git.c does).
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "bio.h"
#include "cmd/cmd.h"
#include "banned.h"

/* Built from VERSION (or git describe) by the Makefile. */
extern const char gd_version[];

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "init", cmd_init, "write a new campaign repository" },
	{ "validate", cmd_validate, "check the repository's files" },
	{ "plan", cmd_plan, "show what a campaign will do" },
	{ "tick", cmd_tick, "place the next batch of calls" },
	{ "ingest", cmd_ingest, "commit the webhook spool to the log (webhook host)" },
	{ "list", cmd_list, "the campaigns table" },
	{ "show", cmd_show, "one campaign in detail" },
	{ "pause", cmd_pause, "pause Dialing campaigns" },
	{ "resume", cmd_resume, "resume Paused campaigns" },
	{ "archive", cmd_archive, "move campaigns to archived/" },
	{ "delete", cmd_delete, "move campaigns to deleted/ (30 days)" },
	{ "restore", cmd_restore, "bring back deleted or archived campaigns" },
	{ "duplicate", cmd_duplicate, "copy campaigns as new Drafts" },
	{ "report", cmd_report, "write the static HTML dashboard" },
	{ "export", cmd_export, "write a campaign's audit bundle" },
	{ "audit", cmd_audit, "re-check every promise from the history alone" },
	{ "new", cmd_new, "create a campaign (a wizard, or flags)" },
	{ "dnc", cmd_dnc, "the do-not-call list: add, remove, list, check" },
	{ "demo", cmd_demo, "run a whole campaign on the sim carrier" },
	{ "rules", cmd_rules, "the compliance rules pack, by jurisdiction or number" },
	{ "version", cmd_version, "print gitdial's version" },
	{ "help", cmd_help, "list the commands, or one command's usage" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gitdial <command> [options]   (gitdial help <command>)\n\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* gitdial version (and --version): one line, "gitdial <version>". */
static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: gitdial version\n");
		return 0;
	}
	if (argc > 1)
		return usage_error("version", "usage: gitdial version",
				   "unexpected argument '%s'", argv[1]);
	printf("gitdial %s\n", gd_version);
	return 0;
}

/*
 * gitdial help [CMD]: the command list on stdout, or CMD's usage (what
 * `gitdial CMD -h` prints); an unknown CMD is a usage error (2).
 */
static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	char h[] = "-h";
	char *sub[3];

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 || !(c = command_find(argv[1]))) {
		fprintf(stderr, "gitdial help: '%s' is not a command\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (!help_print(c->name))
		return 0;
	sub[0] = argv[1];
	sub[1] = h;
	sub[2] = NULL;
	return c->fn(2, sub);
}

int main(int argc, char **argv)
{
	size_t i;

	/*
	 * A tick allocates and frees blobs of up to a few MB by the hundred
	 * (a log replay) and tables of tens of MB. glibc's default hands
	 * large blocks back to the kernel on free and maps them afresh, and
	 * on a VM every page of fresh memory is a fault of 15-35 us: keep
	 * freed memory for reuse instead (peak RSS is unchanged).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version"))
		return finish_stdout(cmd_version(1, argv + 1));
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			int rc;
			/*
			 * CMD -h|--help alone: the long help. Anywhere else the
			 * command decides (validate takes "-h" after a path as
			 * a path; some commands print it from their own -h).
			 */
			if (argc == 3 && (!strcmp(argv[2], "-h") ||
					  !strcmp(argv[2], "--help")) &&
			    !help_print(commands[i].name))
				return finish_stdout(0);
			rc = commands[i].fn(argc - 1, argv + 1);
			bio_wait(); /* cache files still being made durable */
			return finish_stdout(rc);
		}
	fprintf(stderr, "gitdial: '%s' is not a command\n", argv[1]);
	usage(stderr);
	return 2;
}
