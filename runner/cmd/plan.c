#include <stdio.h>
#include "cmd.h"
int cmd_plan(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "gitdial plan: not yet\n");
	return 1;
}
