/* failalloc.h -- an allocator for fault injection: it fails the Nth
 * allocation (malloc or growing realloc) after arming, and counts the bytes
 * outstanding so a test can prove nothing leaked without a sanitizer. */
#ifndef FNL_FAILALLOC_H
#define FNL_FAILALLOC_H

#include <stdlib.h>
#include "funnelcore.h"

typedef struct failalloc {
    long countdown;     /* < 0: never fail; 0: fail this one and later ones
                           when sticky, only this one otherwise */
    int sticky;
    long fired;         /* failures injected */
    long calls;         /* allocation calls seen */
    long long outstanding;
} failalloc;

static void *fa_malloc(void *ctx, size_t n)
{
    failalloc *f = ctx;
    void *p;
    f->calls++;
    if (f->countdown == 0) {
        f->fired++;
        if (!f->sticky)
            f->countdown = -1;
        return NULL;
    }
    if (f->countdown > 0)
        f->countdown--;
    p = malloc(n);
    if (p)
        f->outstanding += (long long)n;
    return p;
}

static void *fa_realloc(void *ctx, void *p, size_t old, size_t n)
{
    failalloc *f = ctx;
    void *q;
    if (n > old) {
        f->calls++;
        if (f->countdown == 0) {
            f->fired++;
            if (!f->sticky)
                f->countdown = -1;
            return NULL;
        }
        if (f->countdown > 0)
            f->countdown--;
    }
    q = realloc(p, n);
    if (q)
        f->outstanding += (long long)n - (long long)old;
    return q;
}

static void fa_free(void *ctx, void *p, size_t n)
{
    failalloc *f = ctx;
    f->outstanding -= (long long)n;
    free(p);
}

static fnl_allocator fa_table(failalloc *f)
{
    fnl_allocator a;
    a.version = FNL_ALLOCATOR_VERSION;
    a.ctx = f;
    a.malloc = fa_malloc;
    a.realloc = fa_realloc;
    a.free = fa_free;
    return a;
}

/* Fail the nth allocation from now on (n = 0: the next one). */
static void fa_arm(failalloc *f, long n, int sticky)
{
    f->countdown = n;
    f->sticky = sticky;
    f->fired = 0;
}

static void fa_disarm(failalloc *f)
{
    f->countdown = -1;
}

#endif
