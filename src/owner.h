/* owner.h -- owner records (owner.c): attributes (manager, office, team,
 * ...) of the owner strings that contacts, accounts and deals carry. */
#ifndef FNL_OWNER_H
#define FNL_OWNER_H

#include "store.h"

extern const fnli_opdef fnli_op_owner;

void fnli_owners_init(fnl_engine *e);
void fnli_owners_free(fnl_engine *e, fnli_mem *mem);
/* The record of an owner string id (0: none), or 0 when it has none. */
uint32_t fnli_owner_of(const fnl_engine *e, uint32_t name);
/* Re-index a record after a snapshot load (map reserved beforehand). */
void fnli_owner_index_add(fnl_engine *e, uint32_t o);
/* A string attribute's value id (0: missing or a number) of the owner
 * record of owner string `owner`; `attr` is the attribute's name id. */
uint32_t fnli_owner_attr_str(const fnl_engine *e, uint32_t owner,
                             uint32_t attr);

#endif
