/* test_storage_mem.c -- the memory storage: the storage contract, argument
 * checks and allocation failures. */
#include "storage_contract.h"

static int open_mem(fnl_storage **out, const fnl_allocator *a, void *arg)
{
    (void)arg;
    return fnl_storage_mem_open(out, a);
}

#define CONTRACT_TEST(name)                                                 \
    TEST(mem_##name)                                                        \
    {                                                                       \
        fnl_storage *st = NULL;                                             \
        CHECK_OK(fnl_storage_mem_open(&st, NULL));                          \
        contract_##name(st);                                                \
        fnl_storage_close(st);                                              \
    }

CONTRACT_TEST(append_replay_in_order)
CONTRACT_TEST(append_rules)
CONTRACT_TEST(snapshot_roundtrip)
CONTRACT_TEST(truncate)

TEST(mem_open_rejects_bad_arguments)
{
    fnl_allocator a = {0, NULL, NULL, NULL, NULL};
    fnl_storage *st = NULL;
    CHECK_INT(fnl_storage_mem_open(NULL, NULL), FNL_EINVAL);
    CHECK_INT(fnl_storage_mem_open(&st, &a), FNL_EINVAL);
    a.version = FNL_ALLOCATOR_VERSION + 1;
    CHECK_INT(fnl_storage_mem_open(&st, &a), FNL_EVERSION);
    CHECK(st == NULL);
    fnl_storage_close(NULL); /* a no-op */
}

static int copy_first(void *arg, uint64_t seq, const void *rec, size_t len)
{
    unsigned char *out = arg;
    (void)seq;
    if (len == 8)
        memcpy(out, rec, 8);
    return 1;
}

TEST(mem_keeps_its_own_copy_of_records)
{
    fnl_storage *st = NULL;
    unsigned char buf[8] = "abcdefg", got[8] = {0};
    CHECK_OK(fnl_storage_mem_open(&st, NULL));
    CHECK_OK(st->append(st->ctx, 1, buf, 8));
    memset(buf, 'z', sizeof(buf));
    CHECK_INT(st->replay(st->ctx, 0, copy_first, got), 1);
    CHECK(memcmp(got, "abcdefg", 8) == 0);
    fnl_storage_close(st);
}

TEST(mem_allocation_failures_change_nothing_and_leak_nothing)
{
    contract_oom(open_mem, NULL);
}

TEST(mem_counts_memory_through_the_host_allocator)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnl_storage *st = NULL;
    long long base;
    uint64_t s;
    CHECK_OK(fnl_storage_mem_open(&st, &a));
    base = fa.outstanding;
    CHECK(base > 0);
    for (s = 1; s <= 10; s++)
        CHECK_OK(append_seq(st, s));
    /* at least the payload bytes are held */
    CHECK(fa.outstanding - base >= 37 + 74 + 111 + 148 + 185);
    CHECK_OK(write_snapshot(st, 10, 100, 100));
    CHECK_OK(st->truncate(st->ctx, 10));
    fnl_storage_close(st);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(mem_append_replay_in_order);
    RUN(mem_append_rules);
    RUN(mem_snapshot_roundtrip);
    RUN(mem_truncate);
    RUN(mem_open_rejects_bad_arguments);
    RUN(mem_keeps_its_own_copy_of_records);
    RUN(mem_allocation_failures_change_nothing_and_leak_nothing);
    RUN(mem_counts_memory_through_the_host_allocator);
    TEST_MAIN_END();
}
