/*
 * Unit tests for the spool's published files (spool.h): spool_retire
 * moves an event file out of the readers' sight into .done/ (its bytes
 * kept), a missing file or a bad name is handled; spool_sweep removes
 * .done/'s files on threads, stops when told (what is left waits for
 * the next sweep, nothing is lost twice), and starts nothing when there
 * is nothing to remove.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "spool.h"
#include "util.h"

#include "tap.h"

#define N_EV 300

static size_t count_json(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strstr(e->d_name, ".json"))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/gd-spool-XXXXXX", done[64], path[512];
	struct spool_list l = { 0 };
	struct spool_sweep *s;
	size_t i, bad = 0, removed;
	struct buf b = BUF_INIT(SPOOL_EVENT_MAX);

	if (!mkdtemp(dir))
		return 1;
	snprintf(done, sizeof(done), "%s/.done", dir);
	for (i = 0; i < N_EV; i++) {
		char ev[128];
		int n = snprintf(ev, sizeof(ev), "{\"event\":\"outcome\",\"n\":%zu}", i);
		bad += spool_write(dir, ev, (size_t)n) != 0;
	}
	CHECK(!bad && !spool_read(&l, dir) && l.n == N_EV, "%d events spooled",
	      N_EV);

	/* retired: out of the readers' sight, bytes kept in .done/ */
	for (i = 0; i < l.n; i++)
		bad += spool_retire(dir, l.v[i].name) != 0;
	CHECK(!bad, "every published file retired");
	snprintf(path, sizeof(path), "%s/%s", done, l.v[0].name);
	CHECK(!file_read(&b, path, SPOOL_EVENT_MAX) && b.len == l.v[0].len &&
	      !memcmp(b.ptr, l.v[0].data, b.len), "a retired file keeps its bytes");
	CHECK(spool_retire(dir, l.v[0].name) == 0,
	      "retiring a file already gone is not an error");
	CHECK(spool_retire(dir, "../x.json") != 0 && spool_retire(dir, ".done") != 0,
	      "a name with a slash or a dot name is refused");
	spool_list_release(&l);
	CHECK(!spool_read(&l, dir) && l.n == 0, "the readers see none of them");
	spool_list_release(&l);
	CHECK(count_json(done) == N_EV, ".done/ holds all %d", N_EV);

	/* a sweep stopped at once removes some or none; a later one the rest */
	s = spool_sweep_start(dir);
	CHECK(s != NULL, "a sweep starts when .done/ has files");
	removed = spool_sweep_stop(s, 0);
	CHECK(removed <= N_EV && count_json(done) == N_EV - removed,
	      "stopped at once: %zu removed, the rest still there", removed);
	s = spool_sweep_start(dir);
	removed += spool_sweep_stop(s, 60000);
	CHECK(removed == N_EV && count_json(done) == 0,
	      "with time the next sweep removes the rest (%zu in all)", removed);
	CHECK(spool_sweep_start(dir) == NULL, "nothing to remove: no sweep");
	CHECK(spool_sweep_stop(NULL, 100) == 0, "stopping no sweep is fine");

	/* a spool with no .done/ at all */
	rmdir(done);
	CHECK(spool_sweep_start(dir) == NULL, "no .done/: no sweep");
	buf_release(&b);
	rmdir(done);
	snprintf(path, sizeof(path), "%s/.tmp", dir);
	rmdir(path);
	rmdir(dir);
	return finish();
}
