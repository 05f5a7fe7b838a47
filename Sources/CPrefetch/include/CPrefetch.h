#ifndef SWITCHBOARD_CPREFETCH_H
#define SWITCHBOARD_CPREFETCH_H

/// Software prefetch, which Swift does not expose. A hint only: it loads the cache line holding
/// `address` (and its page's translation) while the caller goes on, so a load of it shortly after
/// finds it in cache rather than stalling. It never faults, whatever the address, and changes no
/// result. Static inline, so Swift inlines it to the one instruction.
static inline __attribute__((always_inline)) void sb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
