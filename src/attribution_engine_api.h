/* attribution_engine_api.h -- DRAFT public declarations for attribution
 * over the engine's own data and for serialised partials.  The lead moves
 * them into include/funnelcore.h, at the end of its Attribution section
 * (after fnl_attribution_partial_finish); until then the library's sources
 * and tests include this file.  Exact definitions: docs/attribution.md,
 * "Attribution over the engine" and "Serialised partials". */
#ifndef FNL_ATTRIBUTION_ENGINE_API_H
#define FNL_ATTRIBUTION_ENGINE_API_H

#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Attribution over the engine
 *
 * Journeys are built from the engine's deals, contacts, accounts and
 * touches, read-only: these functions never change the engine (they take
 * a const engine; only fnl_errmsg()'s text is updated).  A journey is the
 * touches of a conversion's buying group inside the lookback window
 * [conversion time - lookback_ms, conversion time] (both ends included),
 * minus excluded touch types, in time order (ties in arrival order).
 * ------------------------------------------------------------------------ */

/** What counts as a conversion.  Values are stable. */
typedef enum fnl_conversion_kind {
    /** A won deal: value = amount, conversion time = closed. */
    FNL_CONVERSION_DEAL_WON = 1,
    /** A created deal (open, won or lost), i.e. pipeline: value = amount,
     *  conversion time = created. */
    FNL_CONVERSION_DEAL_CREATED = 2,
    /** Reserved: entry into a lifecycle stage (opts->stage), value 0.
     *  FNL_EUNSUPPORTED until the stage machine exists. */
    FNL_CONVERSION_STAGE_ENTRY = 3
} fnl_conversion_kind;

/** Whose touches make a deal's journey.  Values are stable. */
typedef enum fnl_journey_scope {
    /** The buying group: the deal's contacts plus every contact of the
     *  deal's account (of its contacts' accounts when the deal has none). */
    FNL_SCOPE_ACCOUNT = 0,
    /** The deal's contacts only. */
    FNL_SCOPE_CONTACT = 1
} fnl_journey_scope;

/** The group key a touch is credited to.  Values are stable.  A touch
 *  without the value gets the key FNL_GROUP_NONE_KEY. */
typedef enum fnl_group_by {
    FNL_GROUP_CHANNEL = 0,
    FNL_GROUP_CAMPAIGN = 1,
    FNL_GROUP_CONTENT = 2,
    FNL_GROUP_UTM_SOURCE = 3,
    FNL_GROUP_UTM_MEDIUM = 4,
    FNL_GROUP_UTM_CAMPAIGN = 5,
    FNL_GROUP_TYPE = 6,              /* touch type */
    /** "channel > campaign" ("paid_search > spring"); just "channel" when
     *  the touch has no campaign (so "direct" stays "direct"). */
    FNL_GROUP_CHANNEL_CAMPAIGN = 7,
    /** The touching contact's attribute opts->group_attr (numbers are
     *  written with "%.17g"). */
    FNL_GROUP_CONTACT_ATTR = 8,
    /** The attribute opts->group_attr of the touching contact's account. */
    FNL_GROUP_ACCOUNT_ATTR = 9,
    /** The touching contact's owner. */
    FNL_GROUP_OWNER = 10
} fnl_group_by;

/** Key of touches without a value for the grouping. */
#define FNL_GROUP_NONE_KEY "(none)"

/** Non-converting journeys (bits of fnl_engine_attribution_options.
 *  nonconverting), each with weight 1 as a "null" path for Markov and
 *  Shapley (heuristic models ignore them). */
/** The buying group of each lost deal, in the lookback window before its
 *  closed time (FNL_CONVERSION_DEAL_WON only: a lost deal was created,
 *  so with FNL_CONVERSION_DEAL_CREATED this bit is FNL_EINVAL). */
#define FNL_NONCONV_LOST_DEALS 1u
/** Touched contacts on no deal at all: in contact scope each such
 *  contact; in account scope each account that is in no deal's buying
 *  group (its contacts' touches together) and each such contact without
 *  an account.  The window ends at the unit's last (not excluded) touch. */
#define FNL_NONCONV_NO_DEAL 2u

/** 90 days in ms: the default lookback. */
#define FNL_LOOKBACK_DEFAULT INT64_C(7776000000)
/** lookback_ms: no limit. */
#define FNL_LOOKBACK_UNLIMITED INT64_C(-1)

/**
 * Options of attribution over the engine.  Strings and arrays are read
 * during the call only.
 */
typedef struct fnl_engine_attribution_options {
    uint32_t size;
    uint32_t conversion;        /* fnl_conversion_kind; default DEAL_WON */
    uint32_t scope;             /* fnl_journey_scope; default ACCOUNT */
    uint32_t group_by;          /* fnl_group_by; default CHANNEL */
    /** FNL_GROUP_CONTACT_ATTR / FNL_GROUP_ACCOUNT_ATTR: the attribute
     *  name (folded like attribute names); required there, else unused. */
    const char *group_attr;
    /** >= 0 ms, or FNL_LOOKBACK_UNLIMITED; default FNL_LOOKBACK_DEFAULT. */
    int64_t lookback_ms;
    /** Touch types left out of every journey (e.g. "email_open"). */
    const char *const *exclude_types;
    size_t exclude_type_count;
    /** Types whose first touch in a journey is the lead-creation touch
     *  (W, Z); NULL / 0: "form_submit" and "trial_request". */
    const char *const *lead_types;
    size_t lead_type_count;
    uint32_t nonconverting;     /* FNL_NONCONV_* bits; default 0 */
    /** Only deals in this ISO 4217 currency; NULL: every converting deal
     *  must have the same currency (FNL_EINVAL otherwise). */
    const char *currency;
    /** Only conversions (and non-converting journeys) whose time lies in
     *  [from, until); defaults FNL_TIME_MIN and FNL_TIME_MAX. */
    int64_t from;
    int64_t until;
    /** NULL: a conversion whose window holds no touch is left out (and
     *  counted in the stats).  Else it is a one-touch journey of this key
     *  at the conversion time, so every conversion's value is reported. */
    const char *unattributed_key;
    /** Models and model parameters (markov_order, direct_group, ...).
     *  NULL: FNL_ATTRIBUTION_OPTIONS_INIT.  Its allocator NULL means the
     *  engine's allocator.  value_decimals divides the deal amounts (minor
     *  units) in results: 0 (default) reports minor units. */
    const fnl_attribution_options *attribution;
    /** FNL_CONVERSION_STAGE_ENTRY (reserved): the stage entered. */
    const char *stage;
} fnl_engine_attribution_options;

#define FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT                                  \
    { sizeof(fnl_engine_attribution_options), FNL_CONVERSION_DEAL_WON,        \
      FNL_SCOPE_ACCOUNT, FNL_GROUP_CHANNEL, NULL, FNL_LOOKBACK_DEFAULT, NULL,  \
      0, NULL, 0, 0, NULL, FNL_TIME_MIN, FNL_TIME_MAX, NULL, NULL, NULL }

/** Reset *opts to FNL_ENGINE_ATTRIBUTION_OPTIONS_INIT for a struct of
 *  `size` bytes.  FNL_EINVAL if opts is NULL or size is too small. */
FNL_API int fnl_engine_attribution_options_init(
    fnl_engine_attribution_options *opts, size_t size);

/** What a run over the engine found (all counts are journeys). */
typedef struct fnl_engine_attribution_stats {
    uint32_t size;
    char currency[4];           /* of the values; "" when no conversion */
    uint64_t conversions;       /* converting journeys built */
    uint64_t nonconverting;     /* non-converting journeys built */
    uint64_t touches;           /* touches in all journeys */
    /** Conversions whose window held no touch (left out unless
     *  unattributed_key is set), and their value. */
    uint64_t untouched;
    int64_t untouched_value;
    uint64_t other_currency;    /* deals skipped by the currency filter */
} fnl_engine_attribution_stats;

#define FNL_ENGINE_ATTRIBUTION_STATS_INIT \
    { sizeof(fnl_engine_attribution_stats), { 0 }, 0, 0, 0, 0, 0, 0 }
FNL_API int fnl_engine_attribution_stats_init(
    fnl_engine_attribution_stats *stats, size_t size);

/**
 * Build the engine's journeys (opts NULL: defaults) into a new set of
 * journeys with touch times, conversion times and the W/Z marker indices
 * (lead creation: the first touch of a lead type, else the first touch;
 * opportunity creation: the last touch at or before the deal's created
 * time, none if there is none; close: won deals only, the last touch).
 * Converting journeys have 1 conversion and the deal amount as value;
 * non-converting ones 1 null.  stats (may be NULL; its size set) is
 * filled.  Free *out with fnl_journeys_free().
 * Errors: FNL_EINVAL (bad options, mixed currencies without a currency
 * filter: fnl_errmsg() names two), FNL_EUNSUPPORTED (stage entry),
 * FNL_ELIMIT (a journey over FNL_ATTR_MAX_TOUCHES, an amount over
 * FNL_ATTR_MAX_VALUE), FNL_ENOMEM.  The engine is never changed.
 */
FNL_API int fnl_engine_journeys(const fnl_engine *engine,
                                const fnl_engine_attribution_options *opts,
                                fnl_journeys **out,
                                fnl_engine_attribution_stats *stats);

/**
 * The same journeys accumulated straight into a new partial for
 * opts->attribution->models (finish it per model, merge it, save it).
 * Free *out with fnl_attribution_partial_free().  Errors as
 * fnl_engine_journeys().
 */
FNL_API int fnl_engine_attribution_partial(
    const fnl_engine *engine, const fnl_engine_attribution_options *opts,
    fnl_attribution_partial **out, fnl_engine_attribution_stats *stats);

/**
 * Run one model over the engine's journeys (opts->attribution->models is
 * ignored).  Free *out with fnl_attribution_free().  Errors as
 * fnl_engine_journeys(), plus those of fnl_attribution_partial_finish().
 */
FNL_API int fnl_engine_attribute(const fnl_engine *engine,
                                 const fnl_engine_attribution_options *opts,
                                 uint32_t model, fnl_attribution **out,
                                 fnl_engine_attribution_stats *stats);

/* ------------------------------------------------------------------------
 * Serialised partials: ship a partial between processes (Dask, Spark
 * workers to a driver) and merge there; the merged result is bit-identical
 * to one pass.  The format is little-endian, versioned and CRC-32C
 * checksummed (docs/attribution.md); it does not depend on the machine.
 * ------------------------------------------------------------------------ */

/** Bytes fnl_attribution_partial_save() needs for this partial now;
 *  0 for NULL.  (Like ZSTD_compressBound: call it, allocate, save.) */
FNL_API size_t fnl_attribution_partial_save_bound(
    const fnl_attribution_partial *partial);

/**
 * Write the partial to buf (cap bytes); *written receives the length.
 * The partial is unchanged.
 * Errors: FNL_EINVAL (NULL), FNL_ERANGE (cap below the bound; *written
 * then holds the bound), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_save(
    const fnl_attribution_partial *partial, void *buf, size_t cap,
    size_t *written);

/**
 * A new partial from bytes written by fnl_attribution_partial_save().
 * allocator NULL: libc (the table is copied).  Free *out with
 * fnl_attribution_partial_free().
 * Errors: FNL_EINVAL (NULL), FNL_EVERSION (a newer format),
 * FNL_ECORRUPT (not a partial, truncated, checksum mismatch, inconsistent
 * contents), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_load(fnl_attribution_partial **out,
                                         const void *buf, size_t len,
                                         const fnl_allocator *allocator);

#ifdef __cplusplus
}
#endif

#endif
