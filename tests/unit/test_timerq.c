/* test_timerq -- the timer queue: due order with FIFO ties, inclusive due
 * times, cancellation by id (and stale ids), reserve making pushes
 * infallible, restore keeping ids and order, allocation failures, a
 * randomized comparison against a sorted reference, and due runs popping
 * exactly what the heap alone pops. */
#include "failalloc.h"
#include "mem.h"
#include "test.h"
#include "timerq.h"

static fnli_timer tm(int64_t due, uint64_t contact)
{
    fnli_timer t;
    memset(&t, 0, sizeof(t));
    t.due = due;
    t.contact = contact;
    t.kind = FNLI_TIMER_STAGE;
    return t;
}

TEST(pops_in_due_order_with_push_order_ties)
{
    fnli_mem mem;
    fnli_timerq q;
    fnli_timer t, out;
    /* dues 50, 10, 30, 10, 20 for contacts 1..5: expected order by due,
     * and the two 10s in push order: 2, 4, 5, 3, 1 */
    int64_t dues[5] = {50, 10, 30, 10, 20};
    uint64_t expect[5] = {2, 4, 5, 3, 1};
    int i;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&q, &mem);
    for (i = 0; i < 5; i++) {
        t = tm(dues[i], (uint64_t)i + 1);
        CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    }
    CHECK_INT(fnli_timerq_count(&q), 5);
    CHECK_INT(fnli_timerq_peek(&q)->contact, 2);
    for (i = 0; i < 5; i++) {
        CHECK(fnli_timerq_pop_due(&q, 1000, &out));
        CHECK_INT(out.contact, expect[i]);
    }
    CHECK(!fnli_timerq_pop_due(&q, 1000, &out));
    fnli_timerq_free(&q);
    CHECK_INT(mem.bytes, 0);
}

TEST(due_time_is_inclusive)
{
    fnli_mem mem;
    fnli_timerq q;
    fnli_timer t = tm(1000, 7), out;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&q, &mem);
    CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    CHECK(!fnli_timerq_pop_due(&q, 999, &out));   /* one ms early */
    CHECK_INT(fnli_timerq_count(&q), 1);
    CHECK(fnli_timerq_pop_due(&q, 1000, &out));   /* exactly at due */
    CHECK_INT(out.due, 1000);
    fnli_timerq_free(&q);
}

TEST(cancel_by_id_and_stale_ids)
{
    fnli_mem mem;
    fnli_timerq q;
    fnli_timer t, out;
    uint64_t a, b, c, d;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&q, &mem);
    t = tm(10, 1);
    CHECK_OK(fnli_timerq_push(&q, &t, &a));
    t = tm(20, 2);
    CHECK_OK(fnli_timerq_push(&q, &t, &b));
    t = tm(30, 3);
    CHECK_OK(fnli_timerq_push(&q, &t, &c));
    CHECK(a != 0 && a != b && b != c);
    CHECK_OK(fnli_timerq_cancel(&q, b));
    CHECK_INT(fnli_timerq_cancel(&q, b), FNL_ENOTFOUND);  /* twice */
    CHECK(fnli_timerq_get(&q, b) == NULL);
    CHECK_INT(fnli_timerq_get(&q, c)->contact, 3);
    /* b's slot is reused, but the old id stays dead */
    t = tm(5, 4);
    CHECK_OK(fnli_timerq_push(&q, &t, &d));
    CHECK((d & 0xFFFFFFFFu) == (b & 0xFFFFFFFFu));
    CHECK(d != b);
    CHECK_INT(fnli_timerq_cancel(&q, b), FNL_ENOTFOUND);
    CHECK_INT(fnli_timerq_count(&q), 3);
    CHECK_INT(fnli_timerq_cancel(&q, 0), FNL_ENOTFOUND);
    CHECK_INT(fnli_timerq_cancel(&q, UINT64_C(0xFFFFFFFF00000099)),
              FNL_ENOTFOUND);
    /* remaining order: 4 (5), 1 (10), 3 (30) */
    CHECK(fnli_timerq_pop_due(&q, 100, &out));
    CHECK_INT(out.contact, 4);
    CHECK(fnli_timerq_pop_due(&q, 100, &out));
    CHECK_INT(out.contact, 1);
    CHECK_INT(fnli_timerq_cancel(&q, a), FNL_ENOTFOUND);  /* popped */
    CHECK(fnli_timerq_pop_due(&q, 100, &out));
    CHECK_INT(out.contact, 3);
    fnli_timerq_free(&q);
}

TEST(reserve_makes_pushes_infallible)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnli_mem mem;
    fnli_timerq q;
    fnli_timer t = tm(1, 1);
    int i;
    fnli_mem_init(&mem, &a);
    fnli_timerq_init(&q, &mem);
    CHECK_OK(fnli_timerq_reserve(&q, 100));
    fa_arm(&fa, 0, 1);  /* every allocation fails from now on */
    for (i = 0; i < 100; i++)
        CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    CHECK_INT(fa.fired, 0);
    /* capacity doubles from 64, so 100 reserved means 128 slots: pushes
     * 101..128 still fit, the 129th must grow and fails */
    CHECK_INT(q.cap, 128);
    for (i = 100; i < 128; i++)
        CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    CHECK_INT(fnli_timerq_push(&q, &t, NULL), FNL_ENOMEM);
    CHECK_INT(fnli_timerq_count(&q), 128);   /* the failed push changed
                                                nothing */
    fa_disarm(&fa);
    fnli_timerq_free(&q);
    CHECK_INT(fa.outstanding, 0);
}

TEST(growth_failure_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator a = fa_table(&fa);
    fnli_mem mem;
    fnli_timerq q;
    fnli_timer t, out;
    long n;
    int i;
    fnli_mem_init(&mem, &a);
    fnli_timerq_init(&q, &mem);
    /* 64 pushes fill the first capacity (min 64); the 65th grows the
     * heap, the slot table and the positions: fail the first allocation
     * three times (what grew before a failure stays grown), so each of
     * the three fails in turn */
    for (i = 0; i < 64; i++) {
        t = tm(64 - i, (uint64_t)i);
        CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    }
    for (n = 0; n < 3; n++) {
        t = tm(0, 999);
        fa_arm(&fa, 0, 0);
        CHECK_INT(fnli_timerq_push(&q, &t, NULL), FNL_ENOMEM);
        CHECK_INT(fnli_timerq_count(&q), 64);
        CHECK_INT(fnli_timerq_peek(&q)->contact, 63);  /* due 1 */
    }
    fa_disarm(&fa);
    t = tm(0, 999);
    CHECK_OK(fnli_timerq_push(&q, &t, NULL));
    for (i = 0; i < 65; i++)
        CHECK(fnli_timerq_pop_due(&q, 1000, &out));
    fnli_timerq_free(&q);
    CHECK_INT(fa.outstanding, 0);
}

static void collect(void *ctx, const fnli_timer *t)
{
    fnli_timer **w = ctx;
    *(*w)++ = *t;
}

TEST(restore_keeps_ids_and_order)
{
    fnli_mem mem;
    fnli_timerq q, r;
    fnli_timer t, saved[8], *w = saved, out1, out2;
    uint64_t ids[6];
    int i;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&q, &mem);
    fnli_timerq_init(&r, &mem);
    for (i = 0; i < 6; i++) {
        t = tm(100 + (i % 3), (uint64_t)i);  /* dues 100,101,102,100,101,102 */
        CHECK_OK(fnli_timerq_push(&q, &t, &ids[i]));
    }
    CHECK_OK(fnli_timerq_cancel(&q, ids[1]));
    fnli_timerq_each(&q, collect, &w);
    CHECK_INT(w - saved, 5);
    CHECK_OK(fnli_timerq_restore(&r, saved, 5));
    CHECK_INT(fnli_timerq_get(&r, ids[4])->contact, 4);
    CHECK(fnli_timerq_get(&r, ids[1]) == NULL);
    /* same pop sequence: 0, 3 (due 100), 4 (101), 2, 5 (102) */
    for (i = 0; i < 5; i++) {
        CHECK(fnli_timerq_pop_due(&q, 1000, &out1));
        CHECK(fnli_timerq_pop_due(&r, 1000, &out2));
        CHECK_INT(out1.contact, out2.contact);
        CHECK_INT(out1.id, out2.id);
    }
    /* a restored queue issues fresh ids */
    t = tm(1, 9);
    CHECK_OK(fnli_timerq_push(&r, &t, &ids[0]));
    for (i = 1; i < 6; i++)
        CHECK(ids[0] != ids[i]);
    /* duplicates are refused and leave the queue empty */
    fnli_timerq_free(&r);
    saved[1] = saved[0];
    CHECK_INT(fnli_timerq_restore(&r, saved, 2), FNL_EINVAL);
    CHECK_INT(fnli_timerq_count(&r), 0);
    fnli_timerq_free(&q);
    fnli_timerq_free(&r);
    CHECK_INT(mem.bytes, 0);
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(random_operations_match_a_reference)
{
    enum { N = 3000 };
    fnli_mem mem;
    fnli_timerq q;
    static int64_t due[N];
    static uint64_t id[N];
    static int live[N];
    uint64_t s = 88172645463325252u;
    int i, step, nlive = 0;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&q, &mem);
    for (step = 0; step < 20000; step++) {
        uint64_t r = rng(&s) % 10;
        i = (int)(rng(&s) % N);
        if (r < 5 && !live[i]) {
            fnli_timer t = tm((int64_t)(rng(&s) % 500), (uint64_t)i);
            due[i] = t.due;
            CHECK_OK(fnli_timerq_push(&q, &t, &id[i]));
            live[i] = 1;
            nlive++;
        } else if (r < 7 && live[i]) {
            CHECK_OK(fnli_timerq_cancel(&q, id[i]));
            live[i] = 0;
            nlive--;
        } else if (r >= 7 && nlive > 0) {
            /* pop: must be a live timer of minimal due */
            fnli_timer out;
            int64_t min = INT64_MAX;
            int k;
            for (k = 0; k < N; k++)
                if (live[k] && due[k] < min)
                    min = due[k];
            CHECK(fnli_timerq_pop_due(&q, INT64_MAX, &out));
            CHECK_INT(out.due, min);
            CHECK(live[out.contact]);
            CHECK_INT(out.id, id[out.contact]);
            live[out.contact] = 0;
            nlive--;
        }
        CHECK_INT(fnli_timerq_count(&q), nlive);
    }
    fnli_timerq_free(&q);
}

/* Push the same timer into both queues (ids must agree: same history). */
static void push2(fnli_timerq *a, fnli_timerq *b, int64_t due, uint64_t c,
                  uint64_t *id)
{
    fnli_timer t = tm(due, c);
    uint64_t ib;
    CHECK_OK(fnli_timerq_push(a, &t, id));
    CHECK_OK(fnli_timerq_push(b, &t, &ib));
    CHECK_INT(*id, ib);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void ids_of(void *ctx, const fnli_timer *t)
{
    uint64_t **w = ctx;
    *(*w)++ = t->id;
}

/* Queue a takes a due run, b pops off its heap; with pushes (due before
 * and after now) and cancels (in the run and in the heap) in between,
 * every pop, peek, count and visit must agree. */
TEST(due_run_pops_what_the_heap_pops)
{
    enum { N = 20000 };
    fnli_mem mem;
    fnli_timerq a, b;
    static uint64_t id[N + 4000], va[N + 4000], vb[N + 4000];
    uint64_t s = 0x2545F4914F6CDD1Du, *wa, *wb;
    size_t n = 0, i, pops = 0;
    fnli_timer oa, ob;
    fnli_mem_init(&mem, NULL);
    fnli_timerq_init(&a, &mem);
    fnli_timerq_init(&b, &mem);
    /* dues 0..999 with many ties; now = 600: about 60 % due */
    for (i = 0; i < N; i++, n++)
        push2(&a, &b, (int64_t)(rng(&s) % 1000), i, &id[n]);
    CHECK_INT(fnli_timerq_take_due(&a, 600), 1);
    CHECK_INT(fnli_timerq_take_due(&a, 600), 0); /* one run at a time */
    CHECK_INT(fnli_timerq_count(&a), N);
    /* ahead names the coming pops */
    CHECK(fnli_timerq_ahead(&a, 0) == fnli_timerq_peek(&a));
    CHECK(fnli_timerq_ahead(&a, 5) != NULL);
    {
        uint64_t next5 = fnli_timerq_ahead(&a, 5)->id;
        for (i = 0; i < 5; i++)
            CHECK(fnli_timerq_pop_due(&a, 600, &oa) &&
                  fnli_timerq_pop_due(&b, 600, &ob) && oa.id == ob.id);
        CHECK_INT(fnli_timerq_peek(&a)->id, next5);
    }
    for (;;) {
        uint64_t r = rng(&s) % 8;
        int ga, gb;
        if (r == 0 && n < N + 4000) {
            /* a push, due in the past, at now, or later */
            push2(&a, &b, 400 + (int64_t)(rng(&s) % 400), n, &id[n]);
            n++;
        } else if (r == 1) {
            uint64_t x = id[rng(&s) % n];
            CHECK_INT(fnli_timerq_cancel(&a, x), fnli_timerq_cancel(&b, x));
        }
        CHECK_INT(fnli_timerq_count(&a), fnli_timerq_count(&b));
        CHECK_INT(fnli_timerq_peek(&a)->id, fnli_timerq_peek(&b)->id);
        if (pops % 997 == 0) {
            size_t k;
            wa = va;
            wb = vb;
            fnli_timerq_each(&a, ids_of, &wa);
            fnli_timerq_each(&b, ids_of, &wb);
            CHECK_INT(wa - va, wb - vb);
            qsort(va, (size_t)(wa - va), sizeof(*va), cmp_u64);
            qsort(vb, (size_t)(wb - vb), sizeof(*vb), cmp_u64);
            for (k = 0; k < (size_t)(wa - va); k++)
                CHECK_INT(va[k], vb[k]);
        }
        ga = fnli_timerq_pop_due(&a, 600, &oa);
        gb = fnli_timerq_pop_due(&b, 600, &ob);
        CHECK_INT(ga, gb);
        if (!ga)
            break;
        CHECK_INT(oa.id, ob.id);
        CHECK_INT(oa.due, ob.due);
        CHECK(oa.due <= 600);
        pops++;
    }
    CHECK(pops > N / 2);
    CHECK(a.run == NULL);   /* the run is over and its memory returned */
    CHECK_INT(fnli_timerq_count(&a), fnli_timerq_count(&b));
    while (fnli_timerq_pop_due(&a, INT64_MAX, &oa)) {
        CHECK(fnli_timerq_pop_due(&b, INT64_MAX, &ob));
        CHECK_INT(oa.id, ob.id);
    }
    CHECK_INT(fnli_timerq_count(&b), 0);
    fnli_timerq_free(&a);
    fnli_timerq_free(&b);
    CHECK_INT(mem.bytes, 0);
}

/* Equal dues pop in push order even where the 32-bit seqs wrap, and dues
 * wider than 2^32 ms sort too (by comparison). */
TEST(due_run_keeps_push_order_across_seq_wrap_and_wide_dues)
{
    enum { N = 3000 };
    fnli_mem mem;
    fnli_timerq a, b;
    fnli_timer oa = tm(0, 0), ob;
    uint64_t id;
    int wide, i;
    fnli_mem_init(&mem, NULL);
    for (wide = 0; wide < 2; wide++) {
        fnli_timerq_init(&a, &mem);
        fnli_timerq_init(&b, &mem);
        a.next_seq = b.next_seq = UINT64_C(0xFFFFFFFF) - N / 2;
        for (i = 0; i < N; i++) {
            int64_t due = (i % 7) * (wide ? INT64_C(1) << 40 : 10);
            push2(&a, &b, due, (uint64_t)i, &id);
        }
        CHECK_INT(fnli_timerq_take_due(&a, INT64_MAX), 1);
        for (i = 0; i < N; i++) {
            fnli_timer prev = oa;
            CHECK(fnli_timerq_pop_due(&a, INT64_MAX, &oa));
            CHECK(fnli_timerq_pop_due(&b, INT64_MAX, &ob));
            CHECK_INT(oa.id, ob.id);
            /* by due, then push order (the contact is the push index) */
            CHECK(i == 0 || prev.due < oa.due ||
                  (prev.due == oa.due && prev.contact < oa.contact));
        }
        CHECK_INT(fnli_timerq_count(&a), 0);
        fnli_timerq_free(&a);
        fnli_timerq_free(&b);
    }
    CHECK_INT(mem.bytes, 0);
}

/* Few due timers, or no memory for a run: no run, and nothing changes. */
TEST(due_run_declined_changes_nothing)
{
    failalloc fa = {-1, 0, 0, 0, 0};
    fnl_allocator al = fa_table(&fa);
    fnli_mem mem;
    fnli_timerq a, b;
    fnli_timer oa, ob;
    uint64_t id;
    long n;
    int i;
    fnli_mem_init(&mem, &al);
    fnli_timerq_init(&a, &mem);
    fnli_timerq_init(&b, &mem);
    for (i = 0; i < 4000; i++)
        push2(&a, &b, i, (uint64_t)i, &id);
    /* 1000 due: under the minimum run */
    CHECK_INT(fnli_timerq_take_due(&a, 999), 0);
    CHECK(a.run == NULL);
    /* each of the two allocations fails in turn */
    for (n = 0; n < 2; n++) {
        fa_arm(&fa, n, 0);
        CHECK_INT(fnli_timerq_take_due(&a, 3000), 0);
        fa_disarm(&fa);
        CHECK(a.run == NULL);
        CHECK_INT(fnli_timerq_count(&a), 4000);
    }
    CHECK_INT(fnli_timerq_take_due(&a, 3000), 1);
    for (i = 0; i < 4000; i++) {
        CHECK(fnli_timerq_pop_due(&a, INT64_MAX, &oa));
        CHECK(fnli_timerq_pop_due(&b, INT64_MAX, &ob));
        CHECK_INT(oa.id, ob.id);
        CHECK_INT(oa.due, i);
    }
    fnli_timerq_free(&a);
    fnli_timerq_free(&b);
    CHECK_INT(fa.outstanding, 0);
}

int main(void)
{
    RUN(pops_in_due_order_with_push_order_ties);
    RUN(due_time_is_inclusive);
    RUN(cancel_by_id_and_stale_ids);
    RUN(reserve_makes_pushes_infallible);
    RUN(growth_failure_changes_nothing);
    RUN(restore_keeps_ids_and_order);
    RUN(random_operations_match_a_reference);
    RUN(due_run_pops_what_the_heap_pops);
    RUN(due_run_keeps_push_order_across_seq_wrap_and_wide_dues);
    RUN(due_run_declined_changes_nothing);
    TEST_MAIN_END();
}
