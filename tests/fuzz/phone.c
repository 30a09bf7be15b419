/*
 * Fuzz target: phone_normalize on raw bytes (a CSV phone field), with its
 * invariants: a success is strict E.164, normalising it again gives the
 * same, phone_key round-trips through "+%llu", and phone_possible says
 * why whenever it refuses one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PHONE_MAX], again[PHONE_MAX], back[32];
	const char *why = NULL;
	char *z;

	if (phone_normalize(out, (const char *)data, size, &why) == 0) {
		if (!phone_is_e164(out))
			abort();
		if (phone_normalize(again, out, strlen(out), &why) ||
		    strcmp(again, out))
			abort();
		snprintf(back, sizeof(back), "+%llu",
			 (unsigned long long)phone_key(out));
		if (strcmp(back, out))
			abort();
		{
			char why2[160] = "";
			if (phone_possible(out, why2, sizeof(why2)) && !why2[0])
				abort();
		}
	} else if (!why || !*why) {
		abort();
	}
	/* phone_is_e164 and phone_key on the same bytes as a C string */
	if ((z = malloc(size + 1))) {
		memcpy(z, data, size);
		z[size] = '\0';
		if (phone_is_e164(z) && (phone_normalize(out, z, strlen(z), &why) ||
					 strcmp(out, z)))
			abort();
		(void)phone_key(z);
		free(z);
	}
	return 0;
}
