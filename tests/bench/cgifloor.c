/*
 * The floor for a webhook through lighttpd + CGI: a static program that
 * does nothing but what every CGI must (read the body, answer a status).
 * What lighttpd, fork+exec of a process and the client cost on this
 * machine, without gitdial: no signature, no spool.
 * usage: as a CGI/1.1 program; answers "Status: 204 No Content".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	long want = cl ? strtol(cl, NULL, 10) : 0;
	char buf[65536];
	ssize_t n;

	while (want > 0 && (n = read(0, buf, sizeof(buf))) > 0)
		want -= n;
	fputs("Status: 204 No Content\r\n\r\n", stdout);
	return fflush(stdout) ? 1 : 0;
}
