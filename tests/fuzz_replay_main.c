/*
 * Replays a fuzz target's corpus as a regression test (linked with each
 * tests/fuzz/NAME.c into build[-san]/tests/replay-NAME; tests/run.sh runs
 * `replay-NAME tests/fuzz/corpus/NAME` under ASan+UBSan):
 *
 *   replay-NAME DIR|FILE...
 *
 * Every file (directories: their files, sorted by name) goes to
 * LLVMFuzzerTestOneInput in this process, in a buffer of exactly its size
 * so that a read past the end is caught; a sanitizer report or a crash
 * aborts, which is the failure. An input that runs longer than 20 s is
 * killed (SIGALRM), so a hang fails instead of blocking the suite.
 * Prints "ok N - file" per input and "N passed, N failed" at the end.
 *
 * Inputs whose name starts with "bug-" reproduce known, reported bugs:
 * each runs in a child process; a crash, hang or leak there is printed
 * "not ok N - file # TODO known bug" and not counted as a failure, and
 * one that now passes is printed "ok N - file # TODO" (rename it then).
 *
 * Real fuzzing with clang 14's libFuzzer (from the top of the tree, after
 * `make` has generated build/gen/data.c), e.g. for the audience target:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Irunner/core $(pkg-config --cflags libgit2 libcjson libarchive) tests/fuzz/audience.c runner/core/[a-z]*.c build/gen/data.c -o build/fuzz-audience $(pkg-config --libs libgit2 libcjson libcurl libarchive libcrypto zlib) -lcsv -lpthread
 *   mkdir -p /tmp/new && build/fuzz-audience -max_total_time=60 -timeout=10 -rss_limit_mb=2048 /tmp/new tests/fuzz/corpus/audience
 *
 * (the library is compiled into the fuzzer, not taken from libgitdial.a,
 * so that libFuzzer sees its coverage). Merge finds back with
 * `build/fuzz-audience -merge=1 tests/fuzz/corpus/audience /tmp/new`.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define INPUT_MAX (64u << 20)
#define INPUT_SECONDS 20
#define BUG_SECONDS 3 /* known hangs: do not wait long */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n_run, n_ok, n_fail, n_todo;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path into an exactly-sized buffer (*out; 1 byte when empty). */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *p;

	*out = NULL;
	*len = 0;
	if (!f)
		return -1;
	if (fstat(fileno(f), &st) || st.st_size < 0 ||
	    (uint64_t)st.st_size > INPUT_MAX) {
		fclose(f);
		return -1;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p || (st.st_size &&
		   fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size)) {
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	*out = p;
	*len = (size_t)st.st_size;
	return 0;
}

static void run_one(const char *path)
{
	const char *base = strrchr(path, '/');
	uint8_t *data;
	size_t len;

	base = base ? base + 1 : path;
	n_run++;
	if (slurp(path, &data, &len)) {
		n_fail++;
		printf("not ok %d - %s (cannot read: %s)\n", n_run, path,
		       strerror(errno));
		return;
	}
	fflush(stdout);
	if (!strncmp(base, "bug-", 4)) {
		pid_t pid = fork();
		int status = 0;
		if (pid == 0) {
			alarm(BUG_SECONDS);
			LLVMFuzzerTestOneInput(data, len);
			free(data);
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			n_todo++;
			printf("not ok %d - %s # TODO known bug (%s %d)\n", n_run,
			       path, WIFSIGNALED(status) ? "signal" : "exit",
			       WIFSIGNALED(status) ? WTERMSIG(status)
						   : WEXITSTATUS(status));
		} else {
			n_ok++;
			printf("ok %d - %s # TODO fixed? drop the bug- prefix\n",
			       n_run, path);
		}
		free(data);
		return;
	}
	alarm(INPUT_SECONDS);
	LLVMFuzzerTestOneInput(data, len);
	alarm(0);
	free(data);
	n_ok++;
	printf("ok %d - %s\n", n_run, path);
}

static void run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, i;

	if (stat(path, &st)) {
		n_run++;
		n_fail++;
		printf("not ok %d - %s (%s)\n", n_run, path, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_one(path);
		return;
	}
	if (!(d = opendir(path))) {
		n_run++;
		n_fail++;
		printf("not ok %d - %s (%s)\n", n_run, path, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		char full[4096], **nv;
		struct stat fs;
		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &fs) || !S_ISREG(fs.st_mode))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(full);
		if (v[n])
			n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	if (!n) {
		n_run++;
		n_fail++;
		printf("not ok %d - %s has no inputs\n", n_run, path);
	}
	for (i = 0; i < n; i++) {
		run_one(v[i]);
		free(v[i]);
	}
	free(v);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	if (n_todo)
		printf("# %d known-bug input(s) still fail (TODO, not counted)\n",
		       n_todo);
	printf("%d passed, %d failed\n", n_ok, n_fail);
	return n_fail ? 1 : 0;
}
