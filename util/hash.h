#ifndef GC_UTIL_HASH_H
#define GC_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define GC_FNV32_INIT 0x811c9dc5u

/* FNV-1a, 32 bit; chain calls by passing the previous result. */
uint32_t gc_hash_fnv1a32(uint32_t h, const void *data, size_t len);
/* FNV-1a, 64 bit, for hash tables. */
uint64_t gc_hash_fnv1a64(const void *data, size_t len);

#endif
