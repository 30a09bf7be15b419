#include <stdio.h>
#include "cmd.h"
int cmd_list(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "gitdial list: not yet\n");
	return 1;
}
