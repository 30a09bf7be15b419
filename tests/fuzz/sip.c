/*
 * Fuzz target: what gitdial-sip reads from the network or the config
 * beyond libre's own parser. The first byte picks: 0 the WWW-/Proxy-
 * Authenticate values of a 401/407 (lines of the rest), then the header
 * answering the chosen one; 1 an SDP offer to decline; 2 an account's
 * trunk object (JSON); 3 a Call-ID (first byte % 4, bit 3 clear). With
 * bit 3 set, first byte % 3: 0 a multipart/mixed body (boundary "b"),
 * 1 a Session-Expires value, 2 two SDP bodies (split at "|||")
 * compared, and checked for SDES keys.
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
	switch (data[0] & 8 ? 4 + data[0] % 3 : data[0] % 4) {
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
	case 3:
		(void)sip_callid_valid(text);
		break;
	case 4: {
		const char *sdp;
		size_t sl;
		if (!sip_multipart_sdp(text, size - 1, "b", &sdp, &sl) &&
		    (sdp < text || sdp + sl > text + size - 1))
			abort();
		break;
	}
	case 5: {
		unsigned secs;
		enum sip_refresher who;
		(void)sip_se_parse(text, strlen(text), &secs, &who);
		break;
	}
	default: {
		char *sep = strstr(text, "|||");
		size_t al = sep ? (size_t)(sep - text) : strlen(text);
		const char *b = sep ? sep + 3 : "";
		(void)sip_sdp_same_origin(text, al, b, strlen(b));
		(void)sip_sdp_has_crypto(text, size - 1);
		break;
	}
	}
	buf_release(&out);
	free(text);
	return 0;
}
