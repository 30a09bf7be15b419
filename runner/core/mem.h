/* Memory for large tables: huge pages where the kernel allows. */
#ifndef GD_MEM_H
#define GD_MEM_H

#include <stddef.h>

/*
 * calloc for large tables probed at random (hash sets of a million
 * numbers): 2 MiB aligned and backed by transparent huge pages where the
 * kernel allows, which spares a TLB miss on most probes. Free with free().
 */
void *table_calloc(size_t n, size_t size);
/*
 * Asks for transparent huge pages on the whole 2 MiB pages inside
 * [p, p + len), for a large array not yet written there (a fresh
 * malloc, or what a realloc added): one fault per 2 MiB instead of 512,
 * and faults are dear on a VM. A hint: nothing happens where the kernel
 * does not allow it.
 */
void mem_hint_huge(void *p, size_t len);

#endif
