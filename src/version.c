/* version.c -- what library is linked. */
#include "funnelcore.h"

FNL_API const char *fnl_version(void)
{
    return FNL_VERSION_STRING;
}

FNL_API int fnl_version_number(void)
{
    return FNL_VERSION_NUMBER;
}
