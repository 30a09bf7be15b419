/*
 * Small helpers shared by every module, one header and one source file
 * per family (ids.h and ids.c, ...); this umbrella includes them all, so
 * a file may include util.h or only the family it uses:
 *   ids.h      campaign, segment and account ids
 *   timefmt.h  RFC 3339, "HH:MM", days from the civil calendar
 *   fileio.h   whole reads, atomic writes, maps, mkdir -p
 *   mem.h      large tables on huge pages
 *   secret.h   env:/file: secret references
 *   hash.h     FNV-1a
 *   text.h     comma-separated lists, UTF-8
 */
#ifndef GD_UTIL_H
#define GD_UTIL_H

#include "fileio.h"
#include "hash.h"
#include "ids.h"
#include "mem.h"
#include "secret.h"
#include "text.h"
#include "timefmt.h"

#endif
