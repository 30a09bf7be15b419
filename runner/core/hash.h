/* A fast non-cryptographic hash (FNV-1a) for tables and shards. */
#ifndef GD_HASH_H
#define GD_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bits, of len bytes of data. */
uint64_t hash_fnv1a(const void *data, size_t len);

#endif
