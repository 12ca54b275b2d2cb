/* timerq.h -- the engine's timer queue: a 4-ary min-heap keyed by due time,
 * with cancellation by id and a reserve step so that applying a mutation
 * never allocates.
 *
 * A timer is a 48-byte plain-old-data record (fnli_timer) the engine can
 * persist as it is; the queue never interprets kind, arg or origin.  Order:
 * earlier due first; equal dues in push order (seq), so replaying the same
 * pushes pops the same sequence.
 *
 * Ids: id = (generation << 32) | (slot + 1).  A slot is reused after its
 * timer is popped or cancelled, with the generation bumped, so a stale id
 * is detected (FNL_ENOTFOUND), never confused with a newer timer.  0 is
 * never an id.
 *
 * Costs: push, cancel and pop O(log n); peek O(1); a tick that finds k due
 * timers among n costs O(k log n), never a scan -- or, when k is a large
 * part of n, O(n) to take them out at once plus a radix sort of the k
 * (fnli_timerq_take_due).
 *
 * Mutation road: fnli_timerq_reserve(q, k) makes the next k pushes
 * infallible (it grows both the heap and the slot table), so the engine
 * reserves in its reserve step and pushes in apply. */
#ifndef FNL_TIMERQ_H
#define FNL_TIMERQ_H

#include <stddef.h>
#include <stdint.h>
#include "mem.h"

/* Timer kinds used by the stage machine (the queue does not care). */
enum {
    FNLI_TIMER_STAGE = 1, /* the contact's stage timer: idle / stay
                             transitions and SLA deadlines (stage.h) */
    FNLI_TIMER_STEP = 2   /* a pending nurture step (nurture.h) */
};

typedef struct fnli_timer {
    int64_t due;       /* fires on the first tick with now >= due */
    uint64_t contact;  /* the engine's contact handle */
    uint64_t id;       /* set by the queue on push */
    uint64_t seq;      /* push order, set by the queue */
    uint32_t kind;     /* FNLI_TIMER_* */
    uint32_t arg;      /* steps: the step index */
    int64_t origin;    /* steps: the time of the trigger */
} fnli_timer;

/* A heap entry: 16 bytes.  The heap is laid out so that the four
 * children of a node (4i+1 .. 4i+4) fill exactly one cache line: a
 * sift-down touches one line per level.  seq is the low 32 bits of the
 * timer's seq, compared in serial-number arithmetic (only equal dues
 * compare it). */
typedef struct fnli_theap {
    int64_t due;
    uint32_t slot;
    uint32_t seq;
} fnli_theap;

typedef struct fnli_tslot {
    fnli_timer t;      /* t.id 0: the slot is free */
    uint32_t next_free;
    uint32_t pad;
} fnli_tslot;

typedef struct fnli_timerq {
    fnli_mem *mem;
    fnli_theap *heap;    /* inside heap_block, aligned as above */
    void *heap_block;
    size_t n, cap;
    fnli_tslot *slots;
    uint32_t *pos;       /* per slot: its heap position (kept apart from
                            the slots: a sift moves entries, and writing
                            positions into 4-byte cells touches far fewer
                            lines than into the timers) */
    size_t nslots, cap_slots, cap_pos;
    uint32_t free_head;  /* UINT32_MAX: none */
    uint32_t nfree;
    uint64_t next_seq;
    /* A due run (fnli_timerq_take_due): timers taken out of the heap,
       sorted; run[run_i .. run_n) are pending, except those whose slot is
       NO_SLOT (cancelled).  run_live counts the pending ones. */
    fnli_theap *run;         /* run_n entries */
    size_t run_i, run_n, run_live;
} fnli_timerq;

/* An empty queue allocating through mem (borrowed; must outlive q).
 * Cannot fail: nothing is allocated until the first reserve/push. */
void fnli_timerq_init(fnli_timerq *q, fnli_mem *mem);
/* Free everything.  The queue is empty (and reusable) afterwards. */
void fnli_timerq_free(fnli_timerq *q);

static inline size_t fnli_timerq_count(const fnli_timerq *q)
{
    return q->n + q->run_live;
}

/* Make the next `k` pushes infallible.  FNL_ENOMEM / FNL_ELIMIT with the
 * queue unchanged (its contents; capacity may have grown). */
int fnli_timerq_reserve(fnli_timerq *q, size_t k);

/* Push a copy of *t (its id and seq are assigned; *id_out, which may be
 * NULL, receives the id).  FNL_ENOMEM / FNL_ELIMIT with nothing pushed;
 * never fails after a reserve that covers it. */
int fnli_timerq_push(fnli_timerq *q, const fnli_timer *t, uint64_t *id_out);

/* Remove the timer with this id.  FNL_ENOTFOUND when it is not pending
 * (popped, cancelled, or never pushed); the queue is then unchanged. */
int fnli_timerq_cancel(fnli_timerq *q, uint64_t id);

/* The pending timer with this id, or NULL. */
const fnli_timer *fnli_timerq_get(const fnli_timerq *q, uint64_t id);

/* The earliest pending timer, or NULL when empty. */
const fnli_timer *fnli_timerq_peek(const fnli_timerq *q);

/* Pop the earliest timer if its due time is <= now (inclusive): 1 with
 * *out filled, else 0 and nothing changes. */
int fnli_timerq_pop_due(fnli_timerq *q, int64_t now, fnli_timer *out);

/* Prepare a tick that will pop every timer due <= now: when they are many
 * (a sixteenth of the queue or more), take them out of the heap at once
 * into a sorted run, so that popping them costs O(1) each instead of a
 * sift through the heap, and fnli_timerq_ahead() can name the ones coming
 * next.  The order of pops is unchanged, and so is everything else the
 * queue does; pushes and cancels go on working.  Returns 1 when a run was
 * made, 0 when not (few due, or no memory for it: an allocation failure
 * is not an error, the heap just serves the tick). */
int fnli_timerq_take_due(fnli_timerq *q, int64_t now);

/* 1 while a due run has timers left. */
static inline int fnli_timerq_in_run(const fnli_timerq *q)
{
    return q->run_n > 0;
}

/* The timer that the k-th pop from now will return if nothing is pushed
 * or cancelled meanwhile and it comes from the run (k = 0: the next), or
 * NULL: a hint for prefetching what evaluating it will touch. */
const fnli_timer *fnli_timerq_ahead(const fnli_timerq *q, size_t k);

/* Visit every pending timer (in heap order, not due order) -- e.g. to
 * write a snapshot.  Cannot fail. */
typedef void (*fnli_timer_visit_fn)(void *ctx, const fnli_timer *t);
void fnli_timerq_each(const fnli_timerq *q, fnli_timer_visit_fn fn,
                      void *ctx);

/* Rebuild a queue from persisted timers (any order), keeping their ids and
 * seqs, so state that refers to timer ids stays valid and the pop order is
 * the one of the live queue.  The queue must be empty.  FNL_EINVAL for a
 * zero or duplicate id or a non-empty queue, FNL_ENOMEM; on failure the
 * queue stays empty. */
int fnli_timerq_restore(fnli_timerq *q, const fnli_timer *timers, size_t n);

#endif
