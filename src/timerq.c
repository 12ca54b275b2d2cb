/* timerq.c -- 4-ary min-heap of timers keyed by (due, seq), with a slot
 * table that maps ids to heap positions for O(log n) cancellation. */
#include <stdlib.h>
#include <string.h>
#include "timerq.h"

#define NO_SLOT UINT32_MAX
#define LINE 64
#define RUN_POS 0x80000000u  /* pos of a timer in the run: RUN_POS | index */
#define MIN_RUN 1024         /* fewer due timers are popped off the heap */

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
    if (q->heap_block != NULL)
        fnli_free(mem, q->heap_block, q->cap * sizeof(*q->heap) + LINE);
    fnli_free(mem, q->slots, q->cap_slots * sizeof(*q->slots));
    fnli_free(mem, q->pos, q->cap_pos * sizeof(*q->pos));
    fnli_free(mem, q->run, q->run_n * sizeof(*q->run));
    fnli_timerq_init(q, mem);
}

/* Room for `need` heap entries, entry 1 on a cache-line boundary (so the
 * children 4i+1 .. 4i+4 of every node share a line). */
static int grow_heap(fnli_timerq *q, size_t need)
{
    size_t ncap;
    char *blk, *base;
    if (need <= q->cap)
        return FNL_OK;
    ncap = q->cap ? q->cap : 64;
    while (ncap < need) {
        if (ncap > (SIZE_MAX - LINE) / 2 / sizeof(*q->heap))
            return FNL_ELIMIT;
        ncap *= 2;
    }
    blk = fnli_malloc(q->mem, ncap * sizeof(*q->heap) + LINE);
    if (blk == NULL)
        return FNL_ENOMEM;
    base = blk + (LINE - (uintptr_t)(blk + sizeof(*q->heap)) % LINE) % LINE;
    if (q->n > 0)
        memcpy(base, q->heap, q->n * sizeof(*q->heap));
    if (q->heap_block != NULL)
        fnli_free(q->mem, q->heap_block, q->cap * sizeof(*q->heap) + LINE);
    q->heap_block = blk;
    q->heap = (fnli_theap *)(void *)base;
    q->cap = ncap;
    return FNL_OK;
}

/* Room for `need` slots and their positions. */
static int grow_slots(fnli_timerq *q, size_t need)
{
    void *p = q->slots;
    int rc = fnli_grow(q->mem, &p, &q->cap_slots, need, sizeof(*q->slots),
                       64);
    q->slots = p;
    if (rc != FNL_OK)
        return rc;
    p = q->pos;
    rc = fnli_grow(q->mem, &p, &q->cap_pos, need, sizeof(*q->pos), 64);
    q->pos = p;
    return rc;
}

int fnli_timerq_reserve(fnli_timerq *q, size_t k)
{
    size_t need_slots;
    int rc;
    if (k >= (size_t)RUN_POS - q->n)
        return FNL_ELIMIT;
    if ((rc = grow_heap(q, q->n + k)) != FNL_OK)
        return rc;
    need_slots = k > q->nfree ? k - q->nfree : 0;
    if (q->nslots + need_slots > (size_t)UINT32_MAX - 1)
        return FNL_ELIMIT;
    return grow_slots(q, q->nslots + need_slots);
}

static int before(const fnli_theap *a, const fnli_theap *b)
{
    return a->due < b->due ||
           (a->due == b->due && (int32_t)(a->seq - b->seq) < 0);
}

static void place(fnli_timerq *q, size_t i, const fnli_theap *e)
{
    q->heap[i] = *e;
    q->pos[e->slot] = (uint32_t)i;
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
    q->pos[slot] = (uint32_t)q->n;
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
    if (s->t.id != id)
        return NULL;
    return s;
}

static void release(fnli_timerq *q, uint32_t slot)
{
    fnli_tslot *s = &q->slots[slot];
    q->pos[slot] = NO_SLOT;
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

/* Step past cancelled entries at the head of the run (its head is then
 * pending, or the run is over and its memory returned). */
static void run_skip(fnli_timerq *q)
{
    while (q->run_i < q->run_n && q->run[q->run_i].slot == NO_SLOT)
        q->run_i++;
    if (q->run_i == q->run_n && q->run != NULL) {
        fnli_free(q->mem, q->run, q->run_n * sizeof(*q->run));
        q->run = NULL;
        q->run_i = q->run_n = 0;
    }
}

int fnli_timerq_cancel(fnli_timerq *q, uint64_t id)
{
    fnli_tslot *s = lookup(q, id);
    uint32_t slot, p;
    if (s == NULL)
        return FNL_ENOTFOUND;
    slot = (uint32_t)(s - q->slots);
    p = q->pos[slot];
    if (p & RUN_POS) {
        q->run[p & ~RUN_POS].slot = NO_SLOT;
        q->run_live--;
        release(q, slot);
        run_skip(q);
    } else {
        remove_at(q, p);
    }
    return FNL_OK;
}

const fnli_timer *fnli_timerq_get(const fnli_timerq *q, uint64_t id)
{
    const fnli_tslot *s = lookup(q, id);
    return s != NULL ? &s->t : NULL;
}

/* The earliest pending entry: the heap's top or the run's head (which is
 * pending, see run_skip); *from_run tells which.  NULL: empty. */
static const fnli_theap *first(const fnli_timerq *q, int *from_run)
{
    const fnli_theap *r = q->run_i < q->run_n ? &q->run[q->run_i] : NULL;
    *from_run = r != NULL && (q->n == 0 || before(r, &q->heap[0]));
    return *from_run ? r : q->n > 0 ? &q->heap[0] : NULL;
}

const fnli_timer *fnli_timerq_peek(const fnli_timerq *q)
{
    int from_run;
    const fnli_theap *h = first(q, &from_run);
    return h != NULL ? &q->slots[h->slot].t : NULL;
}

int fnli_timerq_pop_due(fnli_timerq *q, int64_t now, fnli_timer *out)
{
    int from_run;
    const fnli_theap *h = first(q, &from_run);
    uint32_t slot;
    if (h == NULL || h->due > now)
        return 0;
    slot = h->slot;
    *out = q->slots[slot].t;
    if (!from_run) {
        remove_at(q, 0);
        return 1;
    }
    q->run_i++;
    q->run_live--;
    release(q, slot);
    run_skip(q);
    return 1;
}

const fnli_timer *fnli_timerq_ahead(const fnli_timerq *q, size_t k)
{
    size_t i = q->run_i + k;
    if (i >= q->run_n || q->run[i].slot == NO_SLOT)
        return NULL;
    return &q->slots[q->run[i].slot].t;
}

/* ---- due runs ------------------------------------------------------------ */

/* At least `need` heap entries due <= now?  (The due entries form a
 * subtree at the root: a depth-first walk that stops at `need`.) */
static int due_at_least(const fnli_timerq *q, int64_t now, size_t need)
{
    size_t stack[4 * 64], sp = 0, cnt = 0; /* depth <= 16, <= 4 per level */
    if (q->n == 0 || q->heap[0].due > now)
        return 0;
    stack[sp++] = 0;
    while (sp > 0 && cnt < need) {
        size_t x = stack[--sp], c, end;
        cnt++;
        c = 4 * x + 1;
        end = c + 4 < q->n ? c + 4 : q->n;
        for (; c < end; c++)
            if (q->heap[c].due <= now)
                stack[sp++] = c;
    }
    return cnt >= need;
}

static int cmp_entry(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a);
}

#define RADIX_BITS 11
#define RADIX (1u << RADIX_BITS)

/* Sort a[0..k) in pop order; tmp has room for k entries and count for
 * 3 * RADIX counters.  With every due within 2^32 ms of the earliest, an
 * LSD radix sort of the due's offset, in as few 11-bit digits as its span
 * needs, orders by due in linear time; the rare equal dues are then put
 * in push order.  Wider spans: qsort. */
static void sort_run(fnli_theap *a, fnli_theap *tmp, uint32_t *count,
                     size_t k)
{
    int64_t lo = a[0].due, hi = a[0].due;
    fnli_theap *src = a, *dst = tmp;
    uint64_t span;
    size_t i, j;
    int d, digits = 0;
    for (i = 1; i < k; i++) {
        if (a[i].due < lo)
            lo = a[i].due;
        if (a[i].due > hi)
            hi = a[i].due;
    }
    span = (uint64_t)hi - (uint64_t)lo;
    if (span > UINT32_MAX) {
        fnli_qsort(a, k, sizeof(*a), cmp_entry);
        return;
    }
    while (digits < 3 && (span >> (RADIX_BITS * digits)) != 0)
        digits++;
    memset(count, 0, 3 * RADIX * sizeof(*count));
#define RUN_KEY(e) ((uint32_t)((uint64_t)(e).due - (uint64_t)lo))
    for (i = 0; i < k; i++) {
        uint32_t key = RUN_KEY(a[i]);
        for (d = 0; d < digits; d++)
            count[d * RADIX + ((key >> (RADIX_BITS * d)) & (RADIX - 1))]++;
    }
    for (d = 0; d < digits; d++) {
        uint32_t *c = count + d * RADIX, sum = 0, b;
        for (b = 0; b < RADIX; b++) {
            uint32_t x = c[b];
            c[b] = sum;
            sum += x;
        }
        for (i = 0; i < k; i++)
            dst[c[(RUN_KEY(src[i]) >> (RADIX_BITS * d)) & (RADIX - 1)]++] =
                src[i];
        {
            fnli_theap *t = src;
            src = dst;
            dst = t;
        }
    }
#undef RUN_KEY
    if (src != a)
        memcpy(a, src, k * sizeof(*a));
    /* equal dues: by seq (serial-number order) */
    for (i = 0; i < k; i = j) {
        for (j = i + 1; j < k && a[j].due == a[i].due; j++)
            ;
        if (j - i > 1)
            fnli_qsort(a + i, j - i, sizeof(*a), cmp_entry);
    }
}

/* the radix counters */
#define COUNT_BYTES (3 * RADIX * sizeof(uint32_t))

int fnli_timerq_take_due(fnli_timerq *q, int64_t now)
{
    size_t need = q->n / 16 > MIN_RUN ? q->n / 16 : MIN_RUN;
    size_t i, j, k = 0;
    fnli_theap *run;
    uint32_t *count;
    if (q->run_n > 0 || !due_at_least(q, now, need))
        return 0;
    for (i = 0; i < q->n; i++)
        k += q->heap[i].due <= now;
    run = fnli_malloc(q->mem, k * sizeof(*run));
    count = run != NULL ? fnli_malloc(q->mem, COUNT_BYTES) : NULL;
    if (count == NULL) {
        if (run != NULL)
            fnli_free(q->mem, run, k * sizeof(*run));
        return 0;
    }
    /* split: the due ones to the run, the rest to the front of the heap,
     * which is then heapified (Floyd: O(n)) */
    for (i = j = k = 0; i < q->n; i++) {
        if (q->heap[i].due <= now) {
            run[k++] = q->heap[i];
        } else {
            q->heap[j] = q->heap[i];
            q->pos[q->heap[j].slot] = (uint32_t)j;
            j++;
        }
    }
    q->n = j;
    for (i = j / 4 + 1 < j ? j / 4 + 1 : j; i-- > 0;)
        sift_down(q, i);
    /* the heap's block has room for the k it gave up: the sort's scratch
     * (memory already in use, so no fresh pages to fault in) */
    sort_run(run, q->heap + j, count, k);
    fnli_free(q->mem, count, COUNT_BYTES);
    for (i = 0; i < k; i++)
        q->pos[run[i].slot] = RUN_POS | (uint32_t)i;
    q->run = run;
    q->run_n = q->run_live = k;
    q->run_i = 0;
    return 1;
}

void fnli_timerq_each(const fnli_timerq *q, fnli_timer_visit_fn fn, void *ctx)
{
    size_t i;
    for (i = 0; i < q->n; i++)
        fn(ctx, &q->slots[q->heap[i].slot].t);
    for (i = q->run_i; i < q->run_n; i++)
        if (q->run[i].slot != NO_SLOT)
            fn(ctx, &q->slots[q->run[i].slot].t);
}

int fnli_timerq_restore(fnli_timerq *q, const fnli_timer *timers, size_t n)
{
    size_t i, maxslot = 0;
    int rc;
    if (fnli_timerq_count(q) != 0 || (n > 0 && timers == NULL))
        return FNL_EINVAL;
    for (i = 0; i < n; i++) {
        uint64_t slot1 = timers[i].id & 0xFFFFFFFFu;
        if (slot1 == 0 || timers[i].seq == 0 ||
            (uint32_t)(timers[i].id >> 32) != (uint32_t)timers[i].seq)
            return FNL_EINVAL;
        if (slot1 > maxslot)
            maxslot = (size_t)slot1;
    }
    if (n >= (size_t)RUN_POS)
        return FNL_ELIMIT;
    if ((rc = grow_heap(q, n)) != FNL_OK ||
        (rc = grow_slots(q, maxslot)) != FNL_OK)
        return rc;
    for (i = 0; i < maxslot; i++) {
        q->pos[i] = NO_SLOT;
        q->slots[i].t.id = 0;
    }
    for (i = 0; i < n; i++) {
        uint32_t slot = (uint32_t)((timers[i].id & 0xFFFFFFFFu) - 1);
        if (q->pos[slot] != NO_SLOT) {
            q->n = 0;  /* duplicate id: leave the queue empty */
            for (i = 0; i < maxslot; i++) {
                q->pos[i] = NO_SLOT;
                q->slots[i].t.id = 0;
            }
            q->nslots = 0;
            return FNL_EINVAL;
        }
        q->slots[slot].t = timers[i];
        q->pos[slot] = (uint32_t)i;
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
        if (q->pos[i] == NO_SLOT) {
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
