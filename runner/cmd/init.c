/*
 * gitdial init DIR: a working campaign repository from the template the
 * binary carries (campaigns/ in the source tree, embedded at build time):
 * gitdial.json with a sim account, two sample campaigns (English and
 * Arabic), example CI workflows; then `git init` and a first commit.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "err.h"
#include "store.h"
#include "util.h"
#include "banned.h"

extern const char gd_data_template[];
extern const size_t gd_data_template_len;

static const char usage[] = "gitdial init [--branch NAME] DIR";

static int extract(const char *dir)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int rc = 0, r;

	archive_read_support_format_tar(ar);
	if (archive_read_open_memory(ar, gd_data_template, gd_data_template_len)) {
		rc = gd_error_set("the embedded template is unreadable: %s",
				  archive_error_string(ar));
		goto cleanup;
	}
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char path[4096];
		struct buf b = BUF_INIT(64u << 20);
		char chunk[65536];
		la_ssize_t n;
		while (!strncmp(name, "./", 2))
			name += 2;
		if (!*name || strstr(name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (archive_entry_filetype(e) == AE_IFDIR) {
			if ((rc = dir_create(path)))
				break;
			continue;
		}
		{
			char parent[4096], *slash;
			snprintf(parent, sizeof(parent), "%s", path);
			if ((slash = strrchr(parent, '/'))) {
				*slash = '\0';
				if ((rc = dir_create(parent)))
					break;
			}
		}
		while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0)
			buf_put(&b, chunk, (size_t)n);
		rc = file_write_atomic_buf(path, &b);
		buf_release(&b);
		if (rc)
			break;
	}
cleanup:
	archive_read_free(ar);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "branch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *branch = "main", *dir;
	struct stat sb;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': branch = optarg; break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: return usage_error("init", usage, "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("init", usage, "expected one directory");
	dir = argv[optind];
	if (stat(dir, &sb) == 0) {
		char probe[4096];
		snprintf(probe, sizeof(probe), "%s/gitdial.json", dir);
		if (!S_ISDIR(sb.st_mode) || stat(probe, &sb) == 0) {
			fprintf(stderr, "gitdial init: '%s' exists and is not an empty "
				"directory; choose a new one\n", dir);
			return 1;
		}
	}
	if (dir_create(dir) || extract(dir) || store_create(dir, branch)) {
		fprintf(stderr, "gitdial init: %s\n", gd_error_last());
		return 1;
	}
	printf("Initialized a campaign repository in %s (branch %s)\n"
	       "next: cd %s && gitdial validate && gitdial plan nov-reminders\n",
	       dir, branch, dir);
	return 0;
}
