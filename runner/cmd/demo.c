#include <stdio.h>
#include "cmd.h"
int cmd_demo(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "gitdial demo: not yet\n");
	return 1;
}
