/* timerq.c -- 4-ary min-heap of timers keyed by (due, seq), with a slot
 * table that maps ids to heap positions for O(log n) cancellation. */
#include <string.h>
#include "timerq.h"

#define NO_SLOT UINT32_MAX

void fnli_timerq_init(fnli_timerq *q, fnli_mem *mem)
{
    memset(q, 0, sizeof(*q));
    q->mem = mem;
    q->free_head = NO_SLOT;
    q->next_seq = 1;
}

void fnli_timerq_free(fnli_timerq *q)
{
    fnli_mem *mem = q->mem;
    fnli_free(mem, q->heap, q->cap * sizeof(*q->heap));
    fnli_free(mem, q->slots, q->cap_slots * sizeof(*q->slots));
    fnli_timerq_init(q, mem);
}

int fnli_timerq_reserve(fnli_timerq *q, size_t k)
{
    void *p;
    size_t need_slots;
    int rc;
    if (k > (size_t)UINT32_MAX - q->n)
        return FNL_ELIMIT;
    p = q->heap;
    rc = fnli_grow(q->mem, &p, &q->cap, q->n + k, sizeof(*q->heap), 64);
    if (rc != FNL_OK)
        return rc;
    q->heap = p;
    need_slots = k > q->nfree ? k - q->nfree : 0;
    if (q->nslots + need_slots > (size_t)UINT32_MAX - 1)
        return FNL_ELIMIT;
    p = q->slots;
    rc = fnli_grow(q->mem, &p, &q->cap_slots, q->nslots + need_slots,
                   sizeof(*q->slots), 64);
    if (rc != FNL_OK)
        return rc;
    q->slots = p;
    return FNL_OK;
}

static int before(const fnli_theap *a, const fnli_theap *b)
{
    return a->due < b->due ||
           (a->due == b->due && (int32_t)(a->seq - b->seq) < 0);
}

static void place(fnli_timerq *q, size_t i, const fnli_theap *e)
{
    q->heap[i] = *e;
    q->slots[e->slot].pos = (uint32_t)i;
}

static void sift_up(fnli_timerq *q, size_t i)
{
    fnli_theap e = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!before(&e, &q->heap[parent]))
            break;
        place(q, i, &q->heap[parent]);
        i = parent;
    }
    place(q, i, &e);
}

static void sift_down(fnli_timerq *q, size_t i)
{
    fnli_theap e = q->heap[i];
    size_t n = q->n;
    for (;;) {
        size_t c = 4 * i + 1, best, k, end;
        if (c >= n)
            break;
        best = c;
        end = c + 4 < n ? c + 4 : n;
        for (k = c + 1; k < end; k++)
            if (before(&q->heap[k], &q->heap[best]))
                best = k;
        if (!before(&q->heap[best], &e))
            break;
        place(q, i, &q->heap[best]);
        i = best;
    }
    place(q, i, &e);
}

static uint64_t make_id(uint32_t slot, uint64_t seq)
{
    return ((uint64_t)(uint32_t)seq << 32) | ((uint64_t)slot + 1);
}

int fnli_timerq_push(fnli_timerq *q, const fnli_timer *t, uint64_t *id_out)
{
    uint32_t slot;
    fnli_tslot *s;
    fnli_theap e;
    int rc = fnli_timerq_reserve(q, 1);
    if (rc != FNL_OK)
        return rc;
    if (q->free_head != NO_SLOT) {
        slot = q->free_head;
        q->free_head = q->slots[slot].next_free;
        q->nfree--;
    } else {
        slot = (uint32_t)q->nslots++;
    }
    s = &q->slots[slot];
    s->t = *t;
    s->t.seq = q->next_seq++;
    s->t.id = make_id(slot, s->t.seq);
    s->next_free = NO_SLOT;
    e.due = t->due;
    e.seq = (uint32_t)s->t.seq;
    e.slot = slot;
    q->heap[q->n] = e;
    s->pos = (uint32_t)q->n;
    q->n++;
    sift_up(q, q->n - 1);
    if (id_out != NULL)
        *id_out = s->t.id;
    return FNL_OK;
}

static fnli_tslot *lookup(const fnli_timerq *q, uint64_t id)
{
    uint64_t slot1 = id & 0xFFFFFFFFu;
    fnli_tslot *s;
    if (slot1 == 0 || slot1 > q->nslots)
        return NULL;
    s = &q->slots[slot1 - 1];
    if (s->pos == NO_SLOT || s->t.id != id)
        return NULL;
    return s;
}

static void release(fnli_timerq *q, uint32_t slot)
{
    fnli_tslot *s = &q->slots[slot];
    s->pos = NO_SLOT;
    s->t.id = 0;
    s->next_free = q->free_head;
    q->free_head = slot;
    q->nfree++;
}

/* Remove heap entry i. */
static void remove_at(fnli_timerq *q, size_t i)
{
    uint32_t slot = q->heap[i].slot;
    q->n--;
    if (i != q->n) {
        fnli_theap last = q->heap[q->n];
        place(q, i, &last);
        if (i > 0 && before(&q->heap[i], &q->heap[(i - 1) / 4]))
            sift_up(q, i);
        else
            sift_down(q, i);
    }
    release(q, slot);
}

int fnli_timerq_cancel(fnli_timerq *q, uint64_t id)
{
    fnli_tslot *s = lookup(q, id);
    if (s == NULL)
        return FNL_ENOTFOUND;
    remove_at(q, s->pos);
    return FNL_OK;
}

const fnli_timer *fnli_timerq_get(const fnli_timerq *q, uint64_t id)
{
    const fnli_tslot *s = lookup(q, id);
    return s != NULL ? &s->t : NULL;
}

const fnli_timer *fnli_timerq_peek(const fnli_timerq *q)
{
    return q->n > 0 ? &q->slots[q->heap[0].slot].t : NULL;
}

int fnli_timerq_pop_due(fnli_timerq *q, int64_t now, fnli_timer *out)
{
    if (q->n == 0 || q->heap[0].due > now)
        return 0;
    *out = q->slots[q->heap[0].slot].t;
    remove_at(q, 0);
    return 1;
}

void fnli_timerq_each(const fnli_timerq *q, fnli_timer_visit_fn fn, void *ctx)
{
    size_t i;
    for (i = 0; i < q->n; i++)
        fn(ctx, &q->slots[q->heap[i].slot].t);
}

int fnli_timerq_restore(fnli_timerq *q, const fnli_timer *timers, size_t n)
{
    size_t i, maxslot = 0;
    void *p;
    int rc;
    if (q->n != 0 || (n > 0 && timers == NULL))
        return FNL_EINVAL;
    for (i = 0; i < n; i++) {
        uint64_t slot1 = timers[i].id & 0xFFFFFFFFu;
        if (slot1 == 0 || timers[i].seq == 0 ||
            (uint32_t)(timers[i].id >> 32) != (uint32_t)timers[i].seq)
            return FNL_EINVAL;
        if (slot1 > maxslot)
            maxslot = (size_t)slot1;
    }
    if (n > (size_t)UINT32_MAX - 1)
        return FNL_ELIMIT;
    p = q->heap;
    rc = fnli_grow(q->mem, &p, &q->cap, n, sizeof(*q->heap), 64);
    if (rc != FNL_OK)
        return rc;
    q->heap = p;
    p = q->slots;
    rc = fnli_grow(q->mem, &p, &q->cap_slots, maxslot, sizeof(*q->slots), 64);
    if (rc != FNL_OK)
        return rc;
    q->slots = p;
    for (i = 0; i < maxslot; i++) {
        q->slots[i].pos = NO_SLOT;
        q->slots[i].t.id = 0;
    }
    for (i = 0; i < n; i++) {
        uint32_t slot = (uint32_t)((timers[i].id & 0xFFFFFFFFu) - 1);
        if (q->slots[slot].pos != NO_SLOT) {
            q->n = 0;  /* duplicate id: leave the queue empty */
            for (i = 0; i < maxslot; i++)
                q->slots[i].pos = NO_SLOT;
            q->nslots = 0;
            return FNL_EINVAL;
        }
        q->slots[slot].t = timers[i];
        q->slots[slot].pos = (uint32_t)i;
        q->heap[i].due = timers[i].due;
        q->heap[i].seq = (uint32_t)timers[i].seq;
        q->heap[i].slot = slot;
    }
    for (i = 0; i < n; i++)
        if (timers[i].seq >= q->next_seq)
            q->next_seq = timers[i].seq + 1;
    q->n = n;
    q->nslots = maxslot;
    q->free_head = NO_SLOT;
    q->nfree = 0;
    for (i = maxslot; i-- > 0;) {
        if (q->slots[i].pos == NO_SLOT) {
            q->slots[i].next_free = q->free_head;
            q->free_head = (uint32_t)i;
            q->nfree++;
        }
    }
    /* heapify (from the last parent: never past the n entries, which
     * would read an unset heap entry, or a NULL heap when n is 0) */
    for (i = n / 4 + 1 < n ? n / 4 + 1 : n; i-- > 0;)
        sift_down(q, i);
    return FNL_OK;
}
