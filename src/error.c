/* error.c -- status codes as words. */
#include "funnelcore.h"

FNL_API const char *fnl_strerror(int code)
{
    switch (code) {
    case FNL_OK: return "success";
    case FNL_EINVAL: return "invalid argument";
    case FNL_ENOMEM: return "out of memory";
    case FNL_EIO: return "storage failure";
    case FNL_ENOTFOUND: return "not found";
    case FNL_ECORRUPT: return "corrupt data";
    case FNL_EVERSION: return "unsupported version";
    case FNL_ESTALE: return "stale handle";
    case FNL_ERANGE: return "out of range";
    case FNL_ECANCELED: return "canceled";
    case FNL_EEXIST: return "already exists";
    case FNL_ELIMIT: return "limit exceeded";
    case FNL_EBUSY: return "busy: not allowed now";
    case FNL_EUNSUPPORTED: return "not supported by this build";
    default: return "unknown error";
    }
}
