#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "curlx.h"
#include "err.h"
#include "banned.h"

/* the soname of libcurl's ABI 4, the one <curl/curl.h> describes */
#define CURLX_LIBCURL "libcurl.so.4"

static struct curlx cu;
static int load_state; /* 1 loaded, -1 failed (load_why says why) */
static char load_why[200];

static void load_once(void)
{
	void *h;

	load_state = -1;
	if (!(h = dlopen(CURLX_LIBCURL, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(load_why, sizeof(load_why), "cannot load %s: %s",
			 CURLX_LIBCURL, dlerror());
		return;
	}
#define SYM(field, name) \
	if (!(*(void **)&cu.field = dlsym(h, name))) { \
		snprintf(load_why, sizeof(load_why), "%s has no %s", \
			 CURLX_LIBCURL, name); \
		return; \
	}
	SYM(global_init, "curl_global_init")
	SYM(easy_init, "curl_easy_init")
	SYM(easy_setopt, "curl_easy_setopt")
	SYM(easy_perform, "curl_easy_perform")
	SYM(easy_getinfo, "curl_easy_getinfo")
	SYM(easy_strerror, "curl_easy_strerror")
	SYM(easy_cleanup, "curl_easy_cleanup")
	SYM(slist_append, "curl_slist_append")
	SYM(slist_free_all, "curl_slist_free_all")
	SYM(multi_init, "curl_multi_init")
	SYM(multi_add_handle, "curl_multi_add_handle")
	SYM(multi_remove_handle, "curl_multi_remove_handle")
	SYM(multi_perform, "curl_multi_perform")
	SYM(multi_poll, "curl_multi_poll")
	SYM(multi_info_read, "curl_multi_info_read")
	SYM(multi_cleanup, "curl_multi_cleanup")
#undef SYM
	if (cu.global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(load_why, sizeof(load_why), "cannot start libcurl");
		return;
	}
	load_state = 1;
}

const struct curlx *curlx_load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, load_once);
	if (load_state > 0)
		return &cu;
	gd_error_set("%s", load_why);
	return NULL;
}
