/* stage_api.h -- DRAFT of the public lifecycle stage machine declarations.
 *
 * Everything here is meant to move, as is, into include/funnelcore.h
 * (section "Lifecycle stage machine").  The text format, the semantics of
 * guards, priorities, timers, SLAs, routing and nurture steps, and worked
 * examples are in docs/stages.md.
 *
 * Overview.  A stage machine is built with the builder calls below or
 * parsed from its text format, and compiled into an immutable
 * fnl_machine.  It holds:
 *
 *   stages       in funnel order (inquiry, mql, sal, ...), plus side
 *                stages outside the order (nurture, recycled,
 *                disqualified); one is initial;
 *   transitions  from -> to, enabled by a trigger (a host event, a key
 *                event, a touch, time idle or time in the stage) and/or a
 *                condition (score / grade thresholds of a scoring model,
 *                attributes, stage facts), with a priority; moving to an
 *                earlier stage or into a side stage must be declared
 *                `back`;
 *   routing      ordered owner-assignment rules per stage, groups with
 *                round-robin or least-loaded assignment, a fallback queue;
 *   SLAs         per-stage deadlines ("accept within 48h") with optional
 *                working-hours calendars and breach actions;
 *   steps        nurture / automation steps: on a trigger, after a delay,
 *                unless a stop condition holds by then, notify the host.
 *
 * The functions below need no engine: memory comes from the allocator
 * given to the builder or parser (NULL: libc), which the machine keeps.  A
 * machine is immutable, so one machine may be read from several threads
 * at once; builders are used by one thread at a time.
 */
#ifndef FNL_STAGE_API_H
#define FNL_STAGE_API_H

#include <stddef.h>
#include <stdint.h>
#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FNL_PARSE_ERROR_INIT
/* Shared with the scoring model language (moving into funnelcore.h). */
typedef struct fnl_parse_error {
    uint32_t size;
    uint32_t line;
    uint32_t column;
    char message[256];
} fnl_parse_error;
#define FNL_PARSE_ERROR_INIT { sizeof(fnl_parse_error), 0, 0, { 0 } }
#endif

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

/** Most stages in one machine. */
#define FNL_MACHINE_MAX_STAGES 64
/** Most transitions, routing rules and steps in one machine (each). */
#define FNL_MACHINE_MAX_RULES 1024
/** Most SLAs on one stage. */
#define FNL_MACHINE_MAX_SLAS 4
/** Most groups, and most distinct owners and queues, in one machine. */
#define FNL_MACHINE_MAX_GROUPS 256
#define FNL_MACHINE_MAX_OWNERS 4096
/** Longest duration (idle, stay, within, after): 100 years of 365 days. */
#define FNL_MACHINE_MAX_DURATION INT64_C(3153600000000)

/* ------------------------------------------------------------------------
 * Host events
 * ------------------------------------------------------------------------ */

/** The host events the library names (values stable).  A host may fire
 *  any other event name ([a-z0-9_], 1..FNL_MAX_NAME bytes) as well;
 *  transitions, SLAs and steps refer to events by name. */
typedef enum fnl_host_event {
    FNL_HOST_SALES_ACCEPT = 1,        /* "sales_accept" */
    FNL_HOST_SALES_REJECT = 2,        /* "sales_reject", with a reason */
    FNL_HOST_SALES_QUALIFY = 3,       /* "sales_qualify" */
    FNL_HOST_OPPORTUNITY_CREATED = 4, /* "opportunity_created" */
    FNL_HOST_DEAL_WON = 5,            /* "deal_won" */
    FNL_HOST_DEAL_LOST = 6,           /* "deal_lost" */
    FNL_HOST_DISQUALIFY = 7,          /* "disqualify" */
    FNL_HOST_UNSUBSCRIBE = 8,         /* "unsubscribe": sets the
                                         contact's unsubscribed flag */
    FNL_HOST_RESUBSCRIBE = 9          /* "resubscribe": clears it */
} fnl_host_event;

/** The name of a host event above, or NULL for an unknown value.  Static
 *  string. */
FNL_API const char *fnl_host_event_name(uint32_t event);

/* ------------------------------------------------------------------------
 * Machines
 * ------------------------------------------------------------------------ */

typedef struct fnl_machine fnl_machine;
typedef struct fnl_machine_builder fnl_machine_builder;

/**
 * Parse a machine from its text format (docs/stages.md) and compile it.
 * text[0..len) need not be NUL-terminated; it must be UTF-8.  alloc (NULL:
 * libc) is copied and used for everything the machine holds.  err may be
 * NULL; when given, its size field must be set, and on failure it tells
 * the 1-based line and byte column and why ("unknown stage 'sqll'").
 *
 * On success *out owns a new machine, freed with fnl_machine_free().  On
 * failure *out is not written and nothing is left allocated.
 * Errors: FNL_EINVAL (NULL out or text, bad allocator; a syntax or
 * semantic error, described in *err), FNL_ELIMIT (a limit above), FNL_EEXIST
 * (a name defined twice), FNL_EVERSION (allocator table too new),
 * FNL_ENOMEM.
 */
FNL_API int fnl_machine_parse(fnl_machine **out, const char *text,
                              size_t len, const fnl_allocator *alloc,
                              fnl_parse_error *err);

/**
 * The built-in demand waterfall: inquiry -> mql -> sal -> sql ->
 * opportunity -> customer, with nurture, recycled and disqualified; its
 * text is in docs/stages.md ("The default machine").  alloc as for
 * fnl_machine_parse().  Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_machine_default(fnl_machine **out,
                                const fnl_allocator *alloc);

/** Free a machine.  NULL is a no-op.  Strings borrowed from it die with
 *  it. */
FNL_API void fnl_machine_free(fnl_machine *machine);

/**
 * The machine in canonical text form: parsing it gives the same machine,
 * and printing that gives the same text byte for byte.  Writes the text
 * and a NUL to buf when cap > its length; *len (required) receives the
 * length without the NUL.  When cap is too small nothing is written and
 * FNL_ERANGE is returned with *len set.  buf may be NULL when cap is 0.
 * The text is built when the machine is compiled: this never allocates.
 */
FNL_API int fnl_machine_to_text(const fnl_machine *machine, char *buf,
                                size_t cap, size_t *len);

/** The machine's name, borrowed until fnl_machine_free(); "" for NULL. */
FNL_API const char *fnl_machine_name(const fnl_machine *machine);
/** The machine's version number; 0 for NULL. */
FNL_API uint32_t fnl_machine_version(const fnl_machine *machine);

/** Stage flags (bits). */
#define FNL_STAGE_INITIAL 1u /* where new contacts start (exactly one) */
#define FNL_STAGE_SIDE 2u    /* outside the funnel order (rank 0) */
#define FNL_STAGE_CLOSED 4u  /* contacts in it are not open leads */

/** Number of stages (0 for NULL). */
FNL_API uint32_t fnl_machine_stage_count(const fnl_machine *machine);
/** The name of stage `index` (definition order), borrowed; NULL when out
 *  of range. */
FNL_API const char *fnl_machine_stage_name(const fnl_machine *machine,
                                           uint32_t index);
/** The index of the stage called `name` (ASCII case ignored).
 *  FNL_ENOTFOUND when there is none; FNL_EINVAL on NULL. */
FNL_API int fnl_machine_stage_find(const fnl_machine *machine,
                                   const char *name, uint32_t *index);

/** Facts about one stage. */
typedef struct fnl_stage_info {
    uint32_t size;
    const char *name;   /* borrowed from the machine */
    uint32_t rank;      /* 1.. in funnel order; 0 for side stages */
    uint32_t flags;     /* FNL_STAGE_* */
    uint32_t transitions; /* transitions that leave it (wildcards too) */
    uint32_t slas;
    uint32_t routes;
} fnl_stage_info;

#define FNL_STAGE_INFO_INIT { sizeof(fnl_stage_info), NULL, 0, 0, 0, 0, 0 }
FNL_API int fnl_stage_info_init(fnl_stage_info *info, size_t size);
/** Fill *out (whose size the caller set).  FNL_ENOTFOUND for a bad index,
 *  FNL_EINVAL on NULL. */
FNL_API int fnl_machine_stage_info(const fnl_machine *machine,
                                   uint32_t index, fnl_stage_info *out);

/* ------------------------------------------------------------------------
 * Building a machine through the API
 *
 * Each call validates its input completely and either adds the element or
 * changes nothing (FNL_EINVAL, FNL_EEXIST, FNL_ELIMIT, FNL_ENOMEM).  Strings
 * are copied.  Stages must be added before anything that names them;
 * groups before routes that name them.  Conditions (`when`, `unless`) are
 * text in the condition language of docs/stages.md ("score >= 60 and
 * grade >= B", "region = \"APAC\"", "stage >= sal or unsubscribed"); a
 * syntax error is FNL_EINVAL with *err (which may be NULL) telling the
 * column within that text.
 * ------------------------------------------------------------------------ */

/**
 * Start a machine called `name` (non-empty UTF-8, at most FNL_MAX_NAME
 * bytes) with a version number.  alloc (NULL: libc) is copied and becomes
 * the machine's.  Free the builder with fnl_machine_builder_free().
 * Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_machine_builder_new(fnl_machine_builder **out,
                                    const char *name, uint32_t version,
                                    const fnl_allocator *alloc);
/** Free a builder and whatever it holds.  NULL is a no-op. */
FNL_API void fnl_machine_builder_free(fnl_machine_builder *b);

/** Add a stage ([a-z0-9_], case folded) with FNL_STAGE_* flags.  Funnel
 *  stages are ranked in the order they are added.  FNL_EEXIST for a
 *  second stage of that name or a second initial stage. */
FNL_API int fnl_machine_builder_stage(fnl_machine_builder *b,
                                      const char *name, uint32_t flags);

/** What enables a transition or a step (values stable). */
typedef enum fnl_trigger {
    FNL_TRIGGER_NONE = 0,      /* transitions: the condition alone */
    FNL_TRIGGER_EVENT = 1,     /* a host event `name` (and `reason`) */
    FNL_TRIGGER_KEY_EVENT = 2, /* a scoring key event `name` fired */
    FNL_TRIGGER_TOUCH = 3,     /* a touch matching the touch filters */
    FNL_TRIGGER_IDLE = 4,      /* transitions: no engagement touch for
                                  `duration` (counted from the later of
                                  stage entry and the last engagement) */
    FNL_TRIGGER_STAY = 5,      /* transitions: `duration` in the stage */
    FNL_TRIGGER_ENTER = 6      /* steps: entering stage `stage` */
} fnl_trigger;

/** Touch filters: NULL fields match anything; values are compared ASCII
 *  case-insensitively. */
typedef struct fnl_touch_filter {
    const char *type;
    const char *channel;
    const char *campaign;
} fnl_touch_filter;

/** A transition. */
typedef struct fnl_transition_def {
    uint32_t size;
    const char *from;         /* a stage, or "*" for every other stage */
    const char *to;
    uint32_t back;            /* 1: may move back (to a lower rank or into
                                 a side stage) */
    uint32_t trigger;         /* fnl_trigger (not ENTER) */
    const char *name;         /* EVENT / KEY_EVENT */
    const char *reason;       /* EVENT: only this reason; NULL any */
    fnl_touch_filter touch;   /* TOUCH */
    int64_t duration;         /* IDLE / STAY: 1..FNL_MACHINE_MAX_DURATION */
    const char *when;         /* condition text; NULL: none (required for
                                 FNL_TRIGGER_NONE) */
    int32_t priority;         /* higher first; default 0 */
} fnl_transition_def;

#define FNL_TRANSITION_DEF_INIT                                              \
    { sizeof(fnl_transition_def), NULL, NULL, 0, 0, NULL, NULL,              \
      { NULL, NULL, NULL }, 0, NULL, 0 }
FNL_API int fnl_transition_def_init(fnl_transition_def *t, size_t size);
FNL_API int fnl_machine_builder_transition(fnl_machine_builder *b,
                                           const fnl_transition_def *t,
                                           fnl_parse_error *err);

/** Add a group of owners (names: any UTF-8, case-sensitive, copied).
 *  FNL_EEXIST for a taken name or a member listed twice. */
FNL_API int fnl_machine_builder_group(fnl_machine_builder *b,
                                      const char *name,
                                      const char *const *members,
                                      size_t count);

/** Routing targets and group modes (values stable). */
typedef enum fnl_route_target {
    FNL_ROUTE_OWNER = 1,         /* the owner `name` */
    FNL_ROUTE_GROUP = 2,         /* a member of group `name` */
    FNL_ROUTE_ACCOUNT_OWNER = 3, /* the owner of the contact's account
                                    (sticky accounts); no match when the
                                    account has none */
    FNL_ROUTE_QUEUE = 4          /* the queue `name` */
} fnl_route_target;

typedef enum fnl_route_mode {
    FNL_ROUTE_ROUND_ROBIN = 0,   /* members in turn */
    FNL_ROUTE_LEAST_LOADED = 1   /* fewest open leads; ties in turn */
} fnl_route_mode;

/** A routing rule: on entering `stage`, when the condition holds, assign
 *  the target.  Rules of a stage are tried in the order added. */
typedef struct fnl_route_def {
    uint32_t size;
    const char *stage;
    const char *when;         /* NULL: always */
    uint32_t target;          /* fnl_route_target */
    const char *name;         /* owner, group or queue */
    uint32_t mode;            /* fnl_route_mode (groups) */
} fnl_route_def;

#define FNL_ROUTE_DEF_INIT \
    { sizeof(fnl_route_def), NULL, NULL, 0, NULL, FNL_ROUTE_ROUND_ROBIN }
FNL_API int fnl_route_def_init(fnl_route_def *r, size_t size);
FNL_API int fnl_machine_builder_route(fnl_machine_builder *b,
                                      const fnl_route_def *r,
                                      fnl_parse_error *err);
/** The queue that takes leads no rule of their stage matched. */
FNL_API int fnl_machine_builder_fallback(fnl_machine_builder *b,
                                         const char *queue);

/** SLA kinds and breach actions (values stable). */
typedef enum fnl_sla_kind {
    FNL_SLA_ACCEPT = 1,  /* met by the host event sales_accept */
    FNL_SLA_EVENT = 2,   /* met by the host event `event` */
    FNL_SLA_TOUCH = 3    /* met by `count` touches matching the filters
                            (by the owner when by_owner) */
} fnl_sla_kind;

typedef enum fnl_sla_breach {
    FNL_SLA_BREACH_EVENT = 0,    /* only report it */
    FNL_SLA_BREACH_STAGE = 1,    /* also move to breach_stage */
    FNL_SLA_BREACH_REROUTE = 2   /* also route again, to another owner,
                                    and restart the stage's SLA clocks */
} fnl_sla_breach;

/** A service level on a stage: met within `within` of entering it (or of
 *  the last re-route), else breached at that deadline. */
typedef struct fnl_sla_def {
    uint32_t size;
    const char *stage;
    const char *name;         /* [a-z0-9_]; NULL: "accept", the event's
                                 name, or "touch" */
    uint32_t kind;            /* fnl_sla_kind */
    const char *event;        /* FNL_SLA_EVENT */
    uint32_t count;           /* FNL_SLA_TOUCH: 1..255 (0 means 1) */
    uint32_t by_owner;        /* FNL_SLA_TOUCH: only touches by the owner */
    fnl_touch_filter touch;   /* FNL_SLA_TOUCH */
    int64_t within;           /* 1..FNL_MACHINE_MAX_DURATION ms */
    uint32_t within_days;     /* 1: `within` is whole days, counted as
                                 working days under a calendar */
    const char *calendar;     /* "Mon-Fri 09:00-18:00 +08:00"; NULL 24/7 */
    uint32_t breach;          /* fnl_sla_breach */
    const char *breach_stage; /* FNL_SLA_BREACH_STAGE */
} fnl_sla_def;

#define FNL_SLA_DEF_INIT                                                     \
    { sizeof(fnl_sla_def), NULL, NULL, FNL_SLA_ACCEPT, NULL, 1, 0,            \
      { NULL, NULL, NULL }, 0, 0, NULL, FNL_SLA_BREACH_EVENT, NULL }
FNL_API int fnl_sla_def_init(fnl_sla_def *s, size_t size);
FNL_API int fnl_machine_builder_sla(fnl_machine_builder *b,
                                    const fnl_sla_def *s,
                                    fnl_parse_error *err);

/** A nurture / automation step: when `trigger` happens (and `when`
 *  holds), after `after` ms the host is notified with `action`, unless
 *  `unless` holds by then. */
typedef struct fnl_step_def {
    uint32_t size;
    const char *name;         /* [a-z0-9_], unique */
    uint32_t trigger;         /* ENTER, EVENT, KEY_EVENT or TOUCH */
    const char *stage;        /* ENTER */
    const char *event;        /* EVENT / KEY_EVENT name */
    fnl_touch_filter touch;   /* TOUCH */
    const char *when;         /* NULL: always */
    int64_t after;            /* 0..FNL_MACHINE_MAX_DURATION ms */
    const char *action;       /* passed to the host, e.g. "notify_owner" */
    const char *unless;       /* stop condition at the due time; NULL */
} fnl_step_def;

#define FNL_STEP_DEF_INIT                                                    \
    { sizeof(fnl_step_def), NULL, FNL_TRIGGER_ENTER, NULL, NULL,             \
      { NULL, NULL, NULL }, NULL, 0, NULL, NULL }
FNL_API int fnl_step_def_init(fnl_step_def *s, size_t size);
FNL_API int fnl_machine_builder_step(fnl_machine_builder *b,
                                     const fnl_step_def *s,
                                     fnl_parse_error *err);

/**
 * Check and compile.  On success *out owns the machine and the builder is
 * spent (every later call but fnl_machine_builder_free() is FNL_EINVAL).
 * On failure the builder is unchanged.
 * Errors: FNL_EINVAL (no stage, no initial stage, spent builder),
 * FNL_ENOMEM.
 */
FNL_API int fnl_machine_builder_finish(fnl_machine_builder *b,
                                       fnl_machine **out);

#ifdef __cplusplus
}
#endif

#endif /* FNL_STAGE_API_H */
