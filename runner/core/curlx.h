/*
 * libcurl, loaded on first use (dlopen) instead of when a process
 * starts. Debian's libcurl brings about 30 shared libraries (GnuTLS,
 * Kerberos, LDAP, libssh2, ...), and mapping and relocating them is most
 * of what starting a binary costs on this VM: a program that does nothing
 * starts in 4 ms, the same linked with libcurl in 22 ms. Most runs of
 * gitdial (a tick with local functions, validate, list) and most
 * webhook deliveries make no HTTP request, so they should not pay for
 * one.
 */
#ifndef GD_CURLX_H
#define GD_CURLX_H

#include <curl/curl.h>

/* the libcurl entry points gitdial uses, typed by <curl/curl.h> itself */
struct curlx {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
};

/*
 * Loads libcurl and runs curl_global_init, once per process (any
 * thread; pthread_once, so no thread calls into libcurl before
 * curl_global_init has returned). Returns the entry points, or NULL
 * with the reason in the calling thread's gd_error. The library stays
 * loaded for the life of the process.
 */
const struct curlx *curlx_load(void);

#endif
