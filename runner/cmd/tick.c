#include <stdio.h>
#include "cmd.h"
int cmd_tick(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "gitdial tick: not yet\n");
	return 1;
}
