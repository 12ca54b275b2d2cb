/* dump_owners.h -- dump_engine() (dump.h) plus what it does not show yet:
 * deal attributes and owner records.  dump_all() is the string tests
 * compare for "changed nothing" and "replay gives the identical state"
 * when deals carry attributes or owners have records.  (Meant to fold
 * into dump.h.) */
#ifndef FNL_DUMP_OWNERS_H
#define FNL_DUMP_OWNERS_H

#include "dump.h"

/* Returns a malloc'ed NUL-terminated string (caller frees). */
static char *dump_all(fnl_engine *e)
{
    dumpbuf b = {NULL, 0, 0};
    char *base = dump_engine(e);
    static fnl_attr attrs[1024];
    static const char *names[4096];
    fnl_deal_id d = 0;
    size_t n, k;
    db_printf(&b, "%s", base);
    free(base);
    while (fnl_deal_next(e, d, &d) == FNL_OK) {
        fnl_deal_info di;
        memset(&di, 0, sizeof(di));
        di.size = sizeof(di);
        fnl_deal_get(e, d, &di);
        if (fnl_deal_attrs(e, d, attrs, 1024, &n) == FNL_OK && n > 0) {
            db_printf(&b, "deal-attrs %s (%u)\n", di.name, di.attr_count);
            dump_attrs(&b, attrs, n);
        }
    }
    if (fnl_owner_list(e, names, 4096, &n) == FNL_OK) {
        for (k = 0; k < n; k++) {
            fnl_owner_info oi = FNL_OWNER_INFO_INIT;
            size_t na = 0;
            fnl_owner_get(e, names[k], &oi);
            db_printf(&b, "owner %s created=%lld attrs=%u\n", oi.name,
                      (long long)oi.created, oi.attr_count);
            if (fnl_owner_attrs(e, names[k], attrs, 1024, &na) == FNL_OK)
                dump_attrs(&b, attrs, na);
        }
    }
    db_printf(&b, "end-owners\n");
    return b.p;
}

#endif
