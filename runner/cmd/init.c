#include <stdio.h>
#include "cmd.h"
int cmd_init(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "gitdial init: not yet\n");
	return 1;
}
