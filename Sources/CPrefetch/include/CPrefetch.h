#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Asks the CPU to start loading the cache line holding `address`, for reading, and to keep it
/// in every cache level. Only a hint: it never faults and changes no program state, so any
/// address may be passed. Swift has no spelling for it, hence this one-line header.
static inline void cprefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
