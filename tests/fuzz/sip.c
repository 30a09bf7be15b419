/*
 * Fuzz target: what gitdial-sip reads from the network or the config
 * beyond libre's own parser. The first byte picks: 0 the WWW-/Proxy-
 * Authenticate values of a 401/407 (lines of the rest), then the header
 * answering the chosen one; 1 an SDP offer to decline; 2 an account's
 * trunk object (JSON); 3 a Call-ID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *vals[8], *p, *save = NULL;
	struct buf out = BUF_INIT(1u << 16);
	struct sip_chall c;
	struct sip_trunk t;
	size_t n = 0;
	cJSON *j;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		for (p = strtok_r(text, "\n", &save); p && n < 8;
		     p = strtok_r(NULL, "\n", &save))
			vals[n++] = p;
		if (!sip_chall_choose(&c, (const char *const *)vals, n, data[0] & 4))
			(void)sip_auth_header(&out, &c, "alice", "pw", "INVITE",
					      "sip:+15551230000@127.0.0.1", 1,
					      "c0ffee");
		break;
	case 1:
		(void)sip_sdp_decline(&out, text, size - 1);
		break;
	case 2:
		j = cJSON_ParseWithLength(text, size - 1);
		(void)sip_trunk_parse(&t, j);
		cJSON_Delete(j);
		break;
	default:
		(void)sip_callid_valid(text);
		break;
	}
	buf_release(&out);
	free(text);
	return 0;
}
