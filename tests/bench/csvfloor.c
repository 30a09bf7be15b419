/*
 * The floor for `gitdial validate`: libcsv alone over the same file,
 * counting fields and records, with the options the audience reader uses.
 * usage: csvfloor FILE   (prints "records fields")
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

static size_t fields, records;

static void cb_field(void *s, size_t len, void *ctx)
{
	(void)s; (void)len; (void)ctx;
	fields++;
}

static void cb_record(int c, void *ctx)
{
	(void)c; (void)ctx;
	records++;
}

int main(int argc, char **argv)
{
	static char chunk[1 << 16];
	struct csv_parser p;
	FILE *f;
	size_t n;

	if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: csvfloor FILE\n");
		return 2;
	}
	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI))
		return 2;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (csv_parse(&p, chunk, n, cb_field, cb_record, NULL) != n) {
			fprintf(stderr, "csvfloor: %s\n", csv_strerror(csv_error(&p)));
			return 1;
		}
	csv_fini(&p, cb_field, cb_record, NULL);
	csv_free(&p);
	fclose(f);
	printf("%zu %zu\n", records, fields);
	return 0;
}
