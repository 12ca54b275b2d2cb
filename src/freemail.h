/* freemail.h -- the built-in list of free / consumer e-mail domains.
 * A contact whose e-mail domain is on it never joins an account. */
#ifndef FNL_FREEMAIL_H
#define FNL_FREEMAIL_H

#include <stddef.h>

/* 1 if domain[0..len) is on the built-in free-mail list (exact match,
 * ASCII case ignored; subdomains do not match), else 0. */
int fnli_freemail_builtin(const char *domain, size_t len);

/* For tests: the number of built-in domains and the i-th one (NULL past
 * the end).  The list is sorted bytewise. */
size_t fnli_freemail_builtin_count(void);
const char *fnli_freemail_builtin_at(size_t i);

#endif
