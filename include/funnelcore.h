/*
 * funnelcore.h -- the whole public API of funnelcore.
 *
 * funnelcore is an embeddable engine for B2B funnel logic and marketing ROI:
 * identity resolution, lead scoring, a lifecycle stage machine, multi-touch
 * attribution and ROI math.  The host application owns persistence, I/O and
 * notifications through callback tables; the library owns the funnel.
 *
 * Conventions (they hold for every function below unless its comment says
 * otherwise):
 *
 *  - Functions return an int status: FNL_OK (0) or a negative FNL_E* code.
 *    Results go through pointer arguments, which are written only on success.
 *    fnl_strerror() names a code; fnl_errmsg() gives the detail of the last
 *    failure on an engine.
 *  - A call that fails changes nothing: the engine is exactly as before.
 *  - No function aborts, prints or exits.  NULL where a pointer is required
 *    is FNL_EINVAL, never a crash.  Free functions accept NULL.
 *  - Structs that cross the API begin with `uint32_t size`; set it with the
 *    matching FNL_*_INIT macro (C) or *_init() function (FFI).  The library
 *    reads only the fields that fit in `size`, so a caller compiled against
 *    an older header keeps working; new fields are only ever appended.
 *  - Callback tables begin with `uint32_t version` and a `void *ctx` that is
 *    passed back to every callback.
 *  - Time is int64_t milliseconds since 1970-01-01T00:00:00Z.  Valid times
 *    lie in [FNL_TIME_MIN, FNL_TIME_MAX]; FNL_TIME_NOW asks the engine's
 *    clock.  Money is int64_t minor units (cents, fen) with an ISO 4217
 *    currency code.
 *  - Strings are UTF-8 and NUL-terminated; invalid UTF-8, empty strings where
 *    a value is required, and strings longer than FNL_MAX_STRING bytes are
 *    FNL_EINVAL.  Strings the library returns are borrowed: they stay valid
 *    until the next mutating call on the same engine, or until it is closed.
 *  - Threads: one engine is used by one thread at a time; different engines
 *    may be used from different threads at once.  There is no global mutable
 *    state.
 *
 * Copyright (c) 2026 the funnelcore authors.  MIT licence.
 */
#ifndef FUNNELCORE_H
#define FUNNELCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(FNL_BUILDING_DLL)
#define FNL_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(FNL_BUILDING)
#define FNL_API __attribute__((visibility("default")))
#else
#define FNL_API
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

#define FNL_VERSION_MAJOR 0
#define FNL_VERSION_MINOR 1
#define FNL_VERSION_PATCH 0
#define FNL_VERSION_STRING "0.1.0"
/** FNL_VERSION_NUMBER is MAJOR * 10000 + MINOR * 100 + PATCH. */
#define FNL_VERSION_NUMBER \
    (FNL_VERSION_MAJOR * 10000 + FNL_VERSION_MINOR * 100 + FNL_VERSION_PATCH)

/** The version of the library actually linked, as "X.Y.Z" (static string). */
FNL_API const char *fnl_version(void);
/** The linked library's FNL_VERSION_NUMBER. */
FNL_API int fnl_version_number(void);

/* ------------------------------------------------------------------------
 * Status codes.  Values are stable; new codes are only appended.
 * ------------------------------------------------------------------------ */

#define FNL_OK 0
#define FNL_EINVAL (-1)      /* an argument is invalid */
#define FNL_ENOMEM (-2)      /* an allocation failed */
#define FNL_EIO (-3)         /* the storage refused or failed */
#define FNL_ENOTFOUND (-4)   /* no such contact, key, deal, ... */
#define FNL_ECORRUPT (-5)    /* stored bytes are damaged */
#define FNL_EVERSION (-6)    /* a format or table version is not supported */
#define FNL_ESTALE (-7)      /* a handle refers to something that is gone */
#define FNL_ERANGE (-8)      /* a value or a buffer is out of range / too small */
#define FNL_ECANCELED (-9)   /* a progress callback asked to stop */
#define FNL_EEXIST (-10)     /* already exists */
#define FNL_ELIMIT (-11)     /* a documented limit would be exceeded */
#define FNL_EBUSY (-12)      /* not allowed now (e.g. mutation from a listener) */
#define FNL_EUNSUPPORTED (-13) /* feature not built in (e.g. zlib) */

/**
 * A short English description of a status code ("invalid argument", ...).
 * Never NULL; unknown codes give "unknown error".  The string is static.
 */
FNL_API const char *fnl_strerror(int code);

/* ------------------------------------------------------------------------
 * Limits and special values
 * ------------------------------------------------------------------------ */

/** Longest string the library accepts, in bytes, without the NUL. */
#define FNL_MAX_STRING 4096
/** Longest identity key kind or attribute name, in bytes. */
#define FNL_MAX_NAME 64
/** Most identity keys in one call. */
#define FNL_MAX_KEYS 64
/** Most attributes or tags in one call. */
#define FNL_MAX_ATTRS 1024

#define FNL_TIME_MIN INT64_C(0)
/** 9999-12-31T23:59:59.999Z */
#define FNL_TIME_MAX INT64_C(253402300799999)
/** Pass as a time to mean "the engine clock's now". */
#define FNL_TIME_NOW INT64_MIN

/* ------------------------------------------------------------------------
 * Callback tables
 * ------------------------------------------------------------------------ */

#define FNL_ALLOCATOR_VERSION 1
/**
 * A memory allocator.  The library passes back the size it asked for, so a
 * host can account memory exactly.  All three functions are required.
 * malloc and realloc return NULL on failure; the library then fails the
 * call with FNL_ENOMEM and leaves everything as it was.
 */
typedef struct fnl_allocator {
    uint32_t version; /* FNL_ALLOCATOR_VERSION */
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
} fnl_allocator;

#define FNL_CLOCK_VERSION 1
/** The engine's notion of now (milliseconds since the epoch, UTC). */
typedef struct fnl_clock {
    uint32_t version; /* FNL_CLOCK_VERSION */
    void *ctx;
    int64_t (*now)(void *ctx);
} fnl_clock;

/** Event kinds delivered to a listener.  Values are stable. */
typedef enum fnl_event_kind {
    FNL_EVENT_CONTACT_CREATED = 1, /* contact: the new contact */
    FNL_EVENT_CONTACT_MERGED = 2,  /* contact: survivor; other: merged away */
    FNL_EVENT_ACCOUNT_CREATED = 3, /* account: the new account; name: its id */
    FNL_EVENT_ACCOUNT_ASSIGNED = 4, /* contact joined account */
    FNL_EVENT_CONTACT_FORGOTTEN = 5 /* contact: the (now stale) handle */
} fnl_event_kind;

/**
 * One event.  Strings are borrowed for the duration of the callback.
 * Fields that do not apply to a kind are 0 / NULL.
 */
typedef struct fnl_event {
    uint32_t size;
    uint32_t kind;     /* fnl_event_kind */
    int64_t time;      /* time of the mutation that caused it */
    uint64_t contact;  /* fnl_contact_id */
    uint64_t other;    /* second contact (merges) */
    uint64_t account;  /* fnl_account_id */
    const char *name;  /* e.g. the account id */
} fnl_event;

#define FNL_LISTENER_VERSION 1
/**
 * Receives events.  Events are queued while a mutation is applied and
 * delivered after it completes, so the listener sees a consistent engine
 * and may call read functions; mutating functions called from inside the
 * listener fail with FNL_EBUSY.  When a mutating call fails, no event of it
 * is delivered.
 */
typedef struct fnl_listener {
    uint32_t version; /* FNL_LISTENER_VERSION */
    void *ctx;
    void (*on_event)(void *ctx, const fnl_event *event);
} fnl_listener;

/* ------------------------------------------------------------------------
 * Storage: a table of callbacks through which the engine persists itself.
 *
 * Journal records and snapshots are opaque byte strings to a storage.  The
 * engine numbers records with a sequence number that starts at 1 and grows
 * by one per record.  A storage must return records from replay() exactly
 * as they were appended, in order.  Any callback may fail by returning a
 * negative status (FNL_EIO, FNL_ENOMEM, FNL_ECORRUPT); the engine then fails
 * the call and stays as it was.
 * ------------------------------------------------------------------------ */

#define FNL_STORAGE_VERSION 1

/** Called by replay() once per record; a non-zero return stops the replay
 *  and becomes replay()'s return value. */
typedef int (*fnl_replay_fn)(void *arg, uint64_t seq, const void *rec,
                             size_t len);

typedef struct fnl_storage {
    uint32_t version; /* FNL_STORAGE_VERSION */
    void *ctx;
    /** Append one record.  It need not be durable until sync(). */
    int (*append)(void *ctx, uint64_t seq, const void *rec, size_t len);
    /** Make every appended record durable. */
    int (*sync)(void *ctx);
    /** Call fn for every record with sequence number > after, in order. */
    int (*replay)(void *ctx, uint64_t after, fnl_replay_fn fn, void *arg);
    /** Start writing a snapshot of the state after record `seq`; *w is the
     *  storage's own cursor, passed to the three calls below. */
    int (*snapshot_begin)(void *ctx, uint64_t seq, void **w);
    int (*snapshot_write)(void *ctx, void *w, const void *buf, size_t len);
    /** Make the snapshot durable and current, atomically: after a crash the
     *  previous snapshot or this one is current, never a mix. */
    int (*snapshot_commit)(void *ctx, void *w);
    /** Abandon a snapshot being written (always succeeds). */
    void (*snapshot_abort)(void *ctx, void *w);
    /** Open the current snapshot for reading; *seq receives the record
     *  number it covers.  FNL_ENOTFOUND when there is none. */
    int (*snapshot_open)(void *ctx, uint64_t *seq, void **r);
    /** Read up to cap bytes; *got = 0 at the end. */
    int (*snapshot_read)(void *ctx, void *r, void *buf, size_t cap,
                         size_t *got);
    void (*snapshot_close)(void *ctx, void *r);
    /** Drop journal records with sequence number <= upto (they are covered
     *  by a committed snapshot). */
    int (*truncate)(void *ctx, uint64_t upto);
    /** Release the storage; called by fnl_storage_close(). */
    void (*close)(void *ctx);
} fnl_storage;

/** Close a storage through its close callback.  NULL is a no-op. */
FNL_API void fnl_storage_close(fnl_storage *storage);

/* ------------------------------------------------------------------------
 * Built-in storages
 *
 * Both follow the fnl_storage contract (docs/storage.md) and add these
 * rules, which a host-written storage is encouraged to share:
 *
 *  - append(): seq must be greater than every sequence number the storage
 *    holds or has truncated (FNL_EINVAL otherwise); len is at most
 *    FNL_STORAGE_MAX_RECORD (FNL_ELIMIT otherwise); rec may be NULL only
 *    when len is 0.
 *  - snapshot_begin(seq): one snapshot is written at a time (FNL_EBUSY for
 *    a second); seq must lie between the last truncation point and the
 *    last appended record (FNL_EINVAL otherwise).  snapshot_write() leaves
 *    the writer open when it fails; snapshot_commit() always consumes it,
 *    whether it succeeds or not; snapshot_abort() consumes it.
 *  - truncate(upto): upto must not exceed the committed snapshot's seq
 *    (FNL_EINVAL otherwise), so a storage never drops a record that no
 *    snapshot covers.  Truncating below an earlier truncation is a no-op.
 *  - replay(): the record pointer passed to fn is valid only during that
 *    call; fn must not call back into the storage.
 *  - Several snapshot readers may be open at once; a reader keeps reading
 *    the snapshot it opened even when a newer one is committed meanwhile.
 *
 * A storage is used by one thread at a time, like an engine.
 * ------------------------------------------------------------------------ */

/** Largest journal record a built-in storage accepts, in bytes (64 MiB). */
#define FNL_STORAGE_MAX_RECORD (64u * 1024u * 1024u)

/**
 * Open a storage that keeps the journal and the current snapshot in memory
 * (for tests, and for hosts without persistence).  Everything is lost when
 * it is closed.  alloc is the allocator for everything it holds (NULL:
 * malloc/realloc/free); the table is copied.
 *
 * On success *out owns a new storage; release it with fnl_storage_close().
 * Errors: FNL_EINVAL (out NULL, malformed allocator), FNL_EVERSION
 * (allocator table newer than this library), FNL_ENOMEM.
 */
FNL_API int fnl_storage_mem_open(fnl_storage **out, const fnl_allocator *alloc);

/** When the file store makes appended records durable (fsync). */
typedef enum fnl_sync_policy {
    /** Every append() is durable when it returns (the default). */
    FNL_SYNC_EVERY_RECORD = 0,
    /** append() syncs once sync_every_records records are pending and/or
     *  sync_every_ms milliseconds have passed since the last sync (checked
     *  when a record is appended: there is no background thread); sync()
     *  syncs at once. */
    FNL_SYNC_INTERVAL = 1,
    /** The journal is never synced, not even by sync(): durability is left
     *  to the operating system (like SQLite's synchronous=OFF).  A process
     *  crash loses nothing appended; a power loss may lose the tail.
     *  Snapshots and compaction are still synced. */
    FNL_SYNC_NEVER = 2
} fnl_sync_policy;

/** What the file store does with a damaged record that valid records
 *  follow (a damaged tail is always cut and reported). */
typedef enum fnl_storage_recovery {
    /** Refuse to open: FNL_ECORRUPT, with the byte offset in the message
     *  (the default).  Nothing is changed on disk. */
    FNL_RECOVER_STRICT = 0,
    /** Keep the records before the damage and cut the journal there,
     *  dropping the valid records after it too (point-in-time recovery);
     *  fnl_storage_file_stats() reports what was dropped. */
    FNL_RECOVER_TRUNCATE = 1
} fnl_storage_recovery;

/** Options for fnl_storage_file_open(); all fields are optional. */
typedef struct fnl_storage_file_options {
    uint32_t size;
    uint32_t sync_policy;           /* fnl_sync_policy */
    const fnl_allocator *allocator; /* NULL: malloc/realloc/free (copied) */
    /** FNL_SYNC_INTERVAL: sync when this many records are unsynced
     *  (0: no count limit). */
    uint32_t sync_every_records;
    /** FNL_SYNC_INTERVAL: sync when this many ms have passed since the last
     *  sync (0: no time limit).  At least one of the two must be set. */
    uint32_t sync_every_ms;
    /** Time source for sync_every_ms (copied; only now() is used).  NULL:
     *  CLOCK_MONOTONIC. */
    const fnl_clock *clock;
    /** Non-zero: create the directory (one level) and an empty store when
     *  missing (the default).  0: FNL_ENOTFOUND instead. */
    uint32_t create_if_missing;
    uint32_t recovery;              /* fnl_storage_recovery */
    /** When not NULL, open writes a NUL-terminated English detail here,
     *  truncated to errbuf_size bytes: why it failed (e.g. "journal:
     *  damaged record at byte offset 4096, but a valid record follows at
     *  byte offset 4160; ..."), or on success what recovery cut, or "". */
    char *errbuf;
    size_t errbuf_size;
} fnl_storage_file_options;

#define FNL_STORAGE_FILE_OPTIONS_INIT                                        \
    { sizeof(fnl_storage_file_options), FNL_SYNC_EVERY_RECORD, NULL, 0, 0,   \
      NULL, 1, FNL_RECOVER_STRICT, NULL, 0 }

/**
 * Reset *opts to the defaults of FNL_STORAGE_FILE_OPTIONS_INIT for a caller
 * whose struct is `size` bytes (pass sizeof(fnl_storage_file_options)).
 * FNL_EINVAL if opts is NULL or size is smaller than the `size` field.
 */
FNL_API int fnl_storage_file_options_init(fnl_storage_file_options *opts,
                                          size_t size);

/**
 * Open (or create) the file store in directory `dir`: the embedded default.
 * The directory holds a journal of CRC-32C-checksummed records, the current
 * snapshot and a lock file (format: docs/storage.md).  opts may be NULL for
 * the defaults.  Opening recovers from a crash: a torn or damaged tail of
 * the journal is cut back to the last good record and reported through
 * fnl_storage_file_stats(); a damaged record with valid records after it is
 * handled as opts->recovery says; temporary files left by an interrupted
 * snapshot or compaction are removed.
 *
 * On success *out owns a new storage, released with fnl_storage_close();
 * the directory stays locked against other opens (in this process or any
 * other) until then.  dir is copied.
 * Errors: FNL_EINVAL (NULL out or dir, bad options), FNL_EVERSION (a table
 * or file format newer than this library), FNL_ENOTFOUND (no store and
 * create_if_missing is 0), FNL_EBUSY (another open holds the directory),
 * FNL_ECORRUPT (damaged header, snapshot, or journal with the strict
 * policy), FNL_EIO (a system call failed), FNL_ENOMEM.  On failure nothing
 * was created or changed, except that a missing directory may have been
 * created.
 */
FNL_API int fnl_storage_file_open(fnl_storage **out, const char *dir,
                                  const fnl_storage_file_options *opts);

/**
 * Counters and recovery report of a file store.  (The brief's name for
 * this struct, fnl_storage_file_stats, is taken by the function below: a
 * typedef and a function cannot share a name in C.)
 */
typedef struct fnl_storage_file_info {
    uint32_t size;
    /** Bytes and records cut from the journal's tail when it was opened
     *  (a damaged stretch between valid records counts as one record). */
    uint64_t dropped_bytes;
    uint64_t dropped_records;
    /** Byte offset in the journal where it was cut; 0 when nothing was. */
    uint64_t dropped_offset;
    uint64_t records;         /* records in the journal now */
    uint64_t first_seq;       /* seq of the oldest record; 0 when none */
    uint64_t last_seq;        /* highest seq held or truncated; 0: none */
    uint64_t journal_bytes;   /* size of the journal file */
    uint64_t snapshot_seq;    /* seq of the current snapshot */
    uint32_t has_snapshot;    /* 1 when there is a current snapshot */
    uint32_t failed;          /* 1 after a failed fsync: reopen to go on */
    uint64_t syncs;           /* journal syncs since open */
} fnl_storage_file_info;

#define FNL_STORAGE_FILE_INFO_INIT \
    { sizeof(fnl_storage_file_info), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/**
 * Reset *info to zero for a caller whose struct is `size` bytes (pass
 * sizeof(fnl_storage_file_info)).  FNL_EINVAL if info is NULL or size is
 * smaller than the `size` field.
 */
FNL_API int fnl_storage_file_info_init(fnl_storage_file_info *info,
                                       size_t size);

/**
 * Fill *out (whose size the caller set; fields past it are not written)
 * with the counters and recovery report of a file store.
 * Errors: FNL_EINVAL if st is NULL or not a file store, or out is NULL or
 * out->size is smaller than the `size` field.
 */
FNL_API int fnl_storage_file_stats(const fnl_storage *st,
                                   fnl_storage_file_info *out);

/**
 * The detail of the last failure of a file store's callbacks ("fsync
 * journal: Input/output error"), or of its recovery at open ("journal:
 * cut 37 bytes (1 damaged record) at byte offset 4096"), or "".  Borrowed:
 * valid until the next call on the storage.  NULL or a storage that is not
 * a file store gives "".
 */
FNL_API const char *fnl_storage_file_errmsg(const fnl_storage *st);

/* ------------------------------------------------------------------------
 * Engine
 * ------------------------------------------------------------------------ */

typedef struct fnl_engine fnl_engine;

/** How profile attributes of merged or updated contacts are chosen. */
typedef enum fnl_precedence {
    FNL_PRECEDENCE_LATEST = 0, /* the value with the latest time wins */
    FNL_PRECEDENCE_SOURCE = 1  /* higher source priority wins, then latest */
} fnl_precedence;

/** Fields a channel rule can test (see fnl_channel_rule). */
typedef enum fnl_touch_field {
    FNL_FIELD_UTM_SOURCE = 1,
    FNL_FIELD_UTM_MEDIUM = 2,
    FNL_FIELD_UTM_CAMPAIGN = 3,
    FNL_FIELD_REFERRER_HOST = 4, /* host name of the referrer URL */
    FNL_FIELD_TYPE = 5,          /* touch type */
    FNL_FIELD_URL_HOST = 6       /* host name of the touch URL */
} fnl_touch_field;

/**
 * A host-defined channel grouping rule.  A touch without an explicit
 * channel gets the channel of the first rule whose field matches
 * `pattern` (ASCII case-insensitive; a pattern ending in '*' matches any
 * value with that prefix; "*" alone matches any non-empty value).  When no
 * host rule matches, the built-in grouping applies (README: "Channels").
 */
typedef struct fnl_channel_rule {
    uint32_t field;      /* fnl_touch_field */
    const char *pattern;
    const char *channel;
} fnl_channel_rule;

/**
 * Options for fnl_engine_open().  Everything is optional; tables and arrays
 * are copied, so they need not outlive the call (the storage excepted: it
 * is borrowed until fnl_engine_close()).
 */
typedef struct fnl_engine_config {
    uint32_t size;
    uint32_t precedence;             /* fnl_precedence */
    const fnl_allocator *allocator;  /* NULL: malloc/realloc/free */
    const fnl_clock *clock;          /* NULL: the system clock */
    const fnl_listener *listener;    /* NULL: no events */
    /** Sources in order of decreasing priority for FNL_PRECEDENCE_SOURCE.
     *  Unlisted sources rank below all listed ones. */
    const char *const *source_priority;
    size_t source_priority_count;
    /** Extra free-mail domains (the built-in list is always active). */
    const char *const *freemail_domains;
    size_t freemail_domain_count;
    /** Digits of the default country calling code for phone keys written
     *  without one (e.g. "86", "1", "49"); NULL: leave such numbers as is. */
    const char *default_country_code;
    /** Host channel rules, tried in order before the built-in grouping. */
    const fnl_channel_rule *channel_rules;
    size_t channel_rule_count;
    /** Persistence (NULL: memory only).  Every mutation is journaled
     *  through this storage before it is applied (write-ahead); opening
     *  loads its snapshot and replays its journal, giving the state that
     *  wrote them.  Borrowed until fnl_engine_close(); the host closes it
     *  after the engine. */
    fnl_storage *storage;
    /** Where fnl_engine_open() writes the detail of a failure, since no
     *  engine exists to ask (e.g. "journal record 1234 is malformed");
     *  NULL: nowhere.  NUL-terminated, truncated to errbuf_size. */
    char *errbuf;
    size_t errbuf_size;
    /** Snapshot compression: 0 none, 1 zlib (FNL_EUNSUPPORTED from
     *  fnl_engine_checkpoint() when built without zlib).  Snapshots are
     *  readable whatever this says. */
    uint32_t snapshot_compression;
} fnl_engine_config;

#define FNL_ENGINE_CONFIG_INIT \
    { sizeof(fnl_engine_config), 0, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, \
      NULL, NULL, 0, 0 }

/**
 * Reset *cfg to defaults for a caller whose struct is `size` bytes (pass
 * sizeof(fnl_engine_config)).  FNL_EINVAL if cfg is NULL or size too small.
 */
FNL_API int fnl_engine_config_init(fnl_engine_config *cfg, size_t size);

/**
 * Open an in-memory engine.  cfg may be NULL for defaults.  On success *out
 * owns a new engine, freed with fnl_engine_close().
 * Errors: FNL_EINVAL (bad config: size, table versions, strings),
 * FNL_EVERSION (a callback table version newer than this library knows),
 * FNL_ENOMEM.
 */
FNL_API int fnl_engine_open(fnl_engine **out, const fnl_engine_config *cfg);

/** Close an engine and free everything it owns.  NULL is a no-op. */
FNL_API void fnl_engine_close(fnl_engine *engine);

/**
 * The detail of the last failed call on this engine ("touch 3: key
 * 'email': not an e-mail address"), or "" when the last call succeeded.
 * Borrowed: valid until the next call on the engine.  NULL engine gives "".
 */
FNL_API const char *fnl_errmsg(const fnl_engine *engine);

/** The engine clock's now (ms).  FNL_EINVAL on NULL arguments. */
FNL_API int fnl_engine_now(fnl_engine *engine, int64_t *out);

/**
 * Write a snapshot of the whole state through the storage, then let the
 * storage drop the journal it covers.  Strings no longer referenced by the
 * state (such as the personal data of forgotten contacts) are left out of
 * the snapshot and wiped from memory, so after a checkpoint no erased data
 * remains in memory, in the snapshot or in the journal.
 * Errors: FNL_EINVAL (no storage), FNL_EIO (the storage failed: the
 * previous snapshot and the journal are intact; if only the journal's
 * compaction failed, the new snapshot is current and fnl_errmsg() says so),
 * FNL_EUNSUPPORTED (zlib asked for but not built), FNL_ENOMEM, FNL_EBUSY.
 */
FNL_API int fnl_engine_checkpoint(fnl_engine *engine);

/** Ask the storage to make every journaled mutation durable (its sync
 *  callback).  A no-op without storage.  Errors: FNL_EIO. */
FNL_API int fnl_engine_sync(fnl_engine *engine);

/** Counters of one engine. */
typedef struct fnl_stats {
    uint32_t size;
    uint64_t contacts;        /* live contacts (merged-away not counted) */
    uint64_t merges;          /* contacts merged away so far */
    uint64_t accounts;
    uint64_t touches;
    uint64_t deals;
    uint64_t costs;
    uint64_t identity_keys;
    uint64_t strings;         /* interned strings */
    uint64_t string_bytes;    /* bytes of interned string text */
    uint64_t memory_bytes;    /* bytes currently allocated by the engine */
    uint64_t memory_peak;     /* high-water mark of memory_bytes */
    uint64_t forgotten;       /* contacts erased by fnl_contact_forget() */
    uint64_t journal_seq;     /* records journaled (or replayed) so far */
} fnl_stats;

#define FNL_STATS_INIT { sizeof(fnl_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
FNL_API int fnl_stats_init(fnl_stats *stats, size_t size);

/** Fill *out (whose size field the caller set) with the engine's counters. */
FNL_API int fnl_engine_stats(const fnl_engine *engine, fnl_stats *out);

/* ------------------------------------------------------------------------
 * Contacts and identity
 *
 * A contact is known by any number of identity keys: (kind, value) pairs of
 * host-defined kinds such as "email", "phone", "wechat_id", "cookie_id",
 * "crm_id".  Kinds are ASCII [a-z0-9_], 1..FNL_MAX_NAME bytes; upper case is
 * folded.  Values are normalised per kind: "email" is trimmed and lower-
 * cased and must look like local@domain; "phone" keeps digits only (with a
 * leading '+' or "00" meaning an international number, and the engine's
 * default country code applied to national ones, giving "+<digits>"); every
 * other kind is trimmed of surrounding white space.
 *
 * When one call carries keys that belong to different contacts, those
 * contacts are merged (transitively): the oldest contact survives and keeps
 * every key, touch, tag and deal role of the others; attributes are chosen
 * by the engine's precedence.  Handles of merged-away contacts keep working:
 * every function resolves them to the survivor (fnl_contact_resolve() tells
 * which).  Handles of forgotten contacts give FNL_ESTALE.
 * ------------------------------------------------------------------------ */

/** A contact handle: 0 is never a valid handle. */
typedef uint64_t fnl_contact_id;
/** An account handle: 0 is never a valid handle. */
typedef uint64_t fnl_account_id;
/** A deal handle: 0 is never a valid handle. */
typedef uint64_t fnl_deal_id;

/** One identity key. */
typedef struct fnl_key {
    const char *kind;
    const char *value;
} fnl_key;

/** Attribute value types. */
typedef enum fnl_attr_type {
    FNL_ATTR_STRING = 1,
    FNL_ATTR_NUMBER = 2,
    FNL_ATTR_UNSET = 3 /* in an update: remove the attribute */
} fnl_attr_type;

/** A profile attribute: name -> string or number. */
typedef struct fnl_attr {
    const char *name;  /* [a-z0-9_.-], 1..FNL_MAX_NAME bytes, case folded */
    uint32_t type;     /* fnl_attr_type */
    const char *str;   /* FNL_ATTR_STRING */
    double num;        /* FNL_ATTR_NUMBER; must be finite */
} fnl_attr;

/** Buying-group roles.  Values are stable. */
typedef enum fnl_role {
    FNL_ROLE_NONE = 0,
    FNL_ROLE_USER = 1,
    FNL_ROLE_INFLUENCER = 2,
    FNL_ROLE_DECISION_MAKER = 3,
    FNL_ROLE_ECONOMIC_BUYER = 4,
    FNL_ROLE_CHAMPION = 5,
    FNL_ROLE_OTHER = 6,
    FNL_ROLE_KEEP = 255 /* in an update: leave the role as it is */
} fnl_role;

/** The name of a role ("decision_maker"), or NULL for an unknown value. */
FNL_API const char *fnl_role_name(uint32_t role);
/** The role of a name; FNL_EINVAL for an unknown name. */
FNL_API int fnl_role_parse(const char *name, uint32_t *out);

/**
 * A profile update: finds the contact by its keys (creating it when no key
 * is known, merging when keys of several contacts meet) and applies the
 * changes.  At least one key, or a `contact` handle, is required.
 */
typedef struct fnl_contact_update {
    uint32_t size;
    const fnl_key *keys;
    size_t key_count;
    fnl_contact_id contact; /* alternative or addition to keys; 0: none */
    const fnl_attr *attrs;
    size_t attr_count;
    const char *const *tags_add;
    size_t tags_add_count;
    const char *const *tags_remove;
    size_t tags_remove_count;
    const char *owner;    /* NULL: keep; "": clear; else the owner's name */
    const char *account;  /* NULL: keep / derive from e-mail; else the
                             account's id (an existing or new account) */
    uint32_t role;        /* fnl_role; FNL_ROLE_KEEP leaves it */
    const char *source;   /* NULL or the data source, for precedence */
    int64_t time;         /* when the data was true; FNL_TIME_NOW */
} fnl_contact_update;

#define FNL_CONTACT_UPDATE_INIT                                              \
    { sizeof(fnl_contact_update), NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0,      \
      NULL, NULL, FNL_ROLE_KEEP, NULL, FNL_TIME_NOW }
FNL_API int fnl_contact_update_init(fnl_contact_update *u, size_t size);

/**
 * Create or update a contact.  *out (may be NULL) receives the contact's
 * handle.  A contact whose "email" key has a business domain and which has
 * no account joins (creating if needed) the account of that domain;
 * free-mail domains never do.
 * Errors: FNL_EINVAL (bad key, attribute, string, time), FNL_ESTALE /
 * FNL_ENOTFOUND (bad `contact` handle), FNL_ENOMEM, FNL_EIO, FNL_EBUSY.
 */
FNL_API int fnl_contact_upsert(fnl_engine *engine, const fnl_contact_update *u,
                               fnl_contact_id *out);

/**
 * Find a contact by one identity key (normalised as on input).
 * FNL_ENOTFOUND when no contact has it; FNL_EINVAL for a malformed key.
 */
FNL_API int fnl_contact_find(const fnl_engine *engine, const char *kind,
                             const char *value, fnl_contact_id *out);

/**
 * The current handle of a contact: itself, or the survivor it was merged
 * into.  FNL_ESTALE if it was forgotten, FNL_ENOTFOUND if it never existed.
 */
FNL_API int fnl_contact_resolve(const fnl_engine *engine, fnl_contact_id id,
                                fnl_contact_id *out);

/** A summary of one contact; strings are borrowed (see the conventions). */
typedef struct fnl_contact_info {
    uint32_t size;
    fnl_contact_id id;         /* the resolved handle */
    fnl_account_id account;    /* 0: none */
    const char *owner;         /* NULL: none */
    uint32_t role;             /* fnl_role */
    uint32_t key_count;
    uint32_t attr_count;
    uint32_t tag_count;
    uint64_t touch_count;
    int64_t created;           /* time of the first mutation that named it */
    int64_t first_touch;       /* 0 when there are no touches */
    int64_t last_touch;
} fnl_contact_info;

#define FNL_CONTACT_INFO_INIT \
    { sizeof(fnl_contact_info), 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0 }
FNL_API int fnl_contact_info_init(fnl_contact_info *info, size_t size);

/** Fill *out (whose size the caller set) for a contact. */
FNL_API int fnl_contact_get(const fnl_engine *engine, fnl_contact_id id,
                            fnl_contact_info *out);

/**
 * Copy-out readers.  Each writes at most `cap` items to `out` (which may be
 * NULL when cap is 0) and the number of items that exist to *count.  If cap
 * is too small they write nothing and return FNL_ERANGE with *count set, so
 * a caller can size a buffer and call again.  Strings are borrowed.
 */
FNL_API int fnl_contact_keys(const fnl_engine *engine, fnl_contact_id id,
                             fnl_key *out, size_t cap, size_t *count);
/** Attributes, sorted by name. */
FNL_API int fnl_contact_attrs(const fnl_engine *engine, fnl_contact_id id,
                              fnl_attr *out, size_t cap, size_t *count);
/** Tags, sorted bytewise. */
FNL_API int fnl_contact_tags(const fnl_engine *engine, fnl_contact_id id,
                             const char **out, size_t cap, size_t *count);

/** One attribute by name; FNL_ENOTFOUND if the contact lacks it. */
FNL_API int fnl_contact_attr(const fnl_engine *engine, fnl_contact_id id,
                             const char *name, fnl_attr *out);

/**
 * Forget a contact (GDPR erasure, PIPL deletion): its identity keys,
 * attributes, tags and owner are erased (key bytes are overwritten in
 * memory at once); its touches stay, anonymous, so reports and attribution
 * totals do not change; it leaves its account's contact list; its handle,
 * and the handles of contacts merged into it, give FNL_ESTALE from now on.
 * The journal record of the erasure names only the handle.  Erased strings
 * disappear from the snapshot and the journal at the next
 * fnl_engine_checkpoint().  Listeners get FNL_EVENT_CONTACT_FORGOTTEN.
 * Errors: FNL_ENOTFOUND, FNL_ESTALE, FNL_EIO, FNL_ENOMEM, FNL_EBUSY.
 */
FNL_API int fnl_contact_forget(fnl_engine *engine, fnl_contact_id id);

/**
 * Iterate live contacts (merged-away ones are skipped) in creation order:
 * pass 0 to get the first; FNL_ENOTFOUND after the last.
 */
FNL_API int fnl_contact_next(const fnl_engine *engine, fnl_contact_id after,
                             fnl_contact_id *out);

/* ------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------ */

/** Create or update an account by its id (a host id or a domain). */
typedef struct fnl_account_update {
    uint32_t size;
    const char *id;              /* required */
    const char *const *domains;  /* business domains that map to it */
    size_t domain_count;
    const fnl_attr *attrs;
    size_t attr_count;
    const char *owner;           /* NULL: keep; "": clear */
    const char *source;
    int64_t time;                /* FNL_TIME_NOW */
} fnl_account_update;

#define FNL_ACCOUNT_UPDATE_INIT \
    { sizeof(fnl_account_update), NULL, NULL, 0, NULL, 0, NULL, NULL, FNL_TIME_NOW }
FNL_API int fnl_account_update_init(fnl_account_update *u, size_t size);

/**
 * Create or update an account.  A domain already mapped to another account
 * is FNL_EEXIST; a free-mail domain is FNL_EINVAL.
 */
FNL_API int fnl_account_upsert(fnl_engine *engine, const fnl_account_update *u,
                               fnl_account_id *out);

/** Find an account by id, or by a domain mapped to it. */
FNL_API int fnl_account_find(const fnl_engine *engine, const char *id_or_domain,
                             fnl_account_id *out);

typedef struct fnl_account_info {
    uint32_t size;
    fnl_account_id id;
    const char *name;          /* the account's id string */
    const char *owner;         /* NULL: none */
    uint32_t domain_count;
    uint32_t attr_count;
    uint64_t contact_count;
    int64_t created;
} fnl_account_info;

#define FNL_ACCOUNT_INFO_INIT \
    { sizeof(fnl_account_info), 0, NULL, NULL, 0, 0, 0, 0 }
FNL_API int fnl_account_info_init(fnl_account_info *info, size_t size);
FNL_API int fnl_account_get(const fnl_engine *engine, fnl_account_id id,
                            fnl_account_info *out);
/** The account's domains (copy-out reader, see fnl_contact_keys). */
FNL_API int fnl_account_domains(const fnl_engine *engine, fnl_account_id id,
                                const char **out, size_t cap, size_t *count);
FNL_API int fnl_account_attrs(const fnl_engine *engine, fnl_account_id id,
                              fnl_attr *out, size_t cap, size_t *count);
/** The account's live contacts in creation order (copy-out reader). */
FNL_API int fnl_account_contacts(const fnl_engine *engine, fnl_account_id id,
                                 fnl_contact_id *out, size_t cap,
                                 size_t *count);
/** Iterate accounts in creation order; 0 starts, FNL_ENOTFOUND ends. */
FNL_API int fnl_account_next(const fnl_engine *engine, fnl_account_id after,
                             fnl_account_id *out);

/**
 * Whether a domain is a free-mail domain for this engine (built-in list
 * plus the config's).  *out is 1 or 0.
 */
FNL_API int fnl_domain_is_freemail(const fnl_engine *engine, const char *domain,
                                   int *out);

/* ------------------------------------------------------------------------
 * Touchpoints
 * ------------------------------------------------------------------------ */

/**
 * One interaction.  The contact is given by keys (found, created or merged
 * as for fnl_contact_upsert) and/or a handle.  Channel, campaign, content
 * and the UTM fields are optional: UTM fields missing here are parsed from
 * `url`'s query string; a missing channel is derived by the channel
 * grouping from the UTM fields, the referrer and the type.
 */
typedef struct fnl_touch {
    uint32_t size;
    int64_t time;               /* FNL_TIME_NOW */
    const fnl_key *keys;
    size_t key_count;
    fnl_contact_id contact;     /* 0: none */
    const char *type;           /* NULL: "visit"; e.g. "form_submit" */
    const char *channel;        /* NULL: derived */
    const char *campaign;       /* NULL: utm_campaign, else none */
    const char *content;        /* NULL: utm_content, else none */
    const char *url;            /* NULL or the page URL (UTM parsed) */
    const char *referrer;       /* NULL or the referring URL */
    const char *utm_source;
    const char *utm_medium;
    const char *utm_campaign;
    const char *utm_term;
    const char *utm_content;
    const char *account;        /* NULL or an account id for the contact */
    int64_t value;              /* minor units, >= 0 */
} fnl_touch;

#define FNL_TOUCH_INIT                                                       \
    { sizeof(fnl_touch), FNL_TIME_NOW, NULL, 0, 0, NULL, NULL, NULL, NULL,    \
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
FNL_API int fnl_touch_init(fnl_touch *t, size_t size);

/**
 * Record one touch.  *contact (may be NULL) receives the contact it was
 * attributed to.  Touches may arrive in any time order.
 * Errors as fnl_contact_upsert().
 */
FNL_API int fnl_touch_add(fnl_engine *engine, const fnl_touch *touch,
                          fnl_contact_id *contact);

/**
 * Record `count` touches, all or nothing.  `touches` is an array whose
 * element size is touches[0].size (every element must carry the same
 * size).  contacts (may be NULL) receives one handle per touch.  On failure
 * nothing is recorded and fnl_errmsg() names the first bad touch.
 */
FNL_API int fnl_touch_add_batch(fnl_engine *engine, const fnl_touch *touches,
                                size_t count, fnl_contact_id *contacts);

/** A stored touch, as read back; strings borrowed, NULL when absent. */
typedef struct fnl_touch_info {
    uint32_t size;
    int64_t time;
    fnl_contact_id contact;
    const char *type;
    const char *channel;
    const char *campaign;
    const char *content;
    const char *utm_source;
    const char *utm_medium;
    const char *utm_campaign;
    const char *utm_term;
    const char *utm_content;
    int64_t value;
} fnl_touch_info;

/**
 * A contact's touches in time order (ties in arrival order): a copy-out
 * reader (see fnl_contact_keys) over an array of fnl_touch_info whose
 * element size is `elem_size` (pass sizeof(fnl_touch_info)).
 */
FNL_API int fnl_contact_touches(const fnl_engine *engine, fnl_contact_id id,
                                fnl_touch_info *out, size_t elem_size,
                                size_t cap, size_t *count);

/**
 * The channel the built-in grouping plus the engine's rules give a touch
 * (only its UTM fields, url, referrer and type are read).  *out is an
 * engine-owned string, borrowed as usual.
 */
FNL_API int fnl_touch_channel(fnl_engine *engine, const fnl_touch *touch,
                              const char **out);

/* ------------------------------------------------------------------------
 * Deals and costs
 * ------------------------------------------------------------------------ */

typedef enum fnl_deal_status {
    FNL_DEAL_OPEN = 0,
    FNL_DEAL_WON = 1,
    FNL_DEAL_LOST = 2
} fnl_deal_status;

/** A contact on a deal: by handle, or by one identity key. */
typedef struct fnl_deal_contact {
    fnl_contact_id contact; /* 0: use key */
    fnl_key key;
    uint32_t role;          /* fnl_role */
} fnl_deal_contact;

/**
 * Create or update a deal by id.  An update replaces every field it
 * carries; contacts given are added (a contact already on the deal gets the
 * new role).  A key naming no contact creates one.
 */
typedef struct fnl_deal_update {
    uint32_t size;
    const char *id;             /* required */
    const char *account;        /* NULL: keep (or none) */
    const fnl_deal_contact *contacts;
    size_t contact_count;
    int64_t amount;             /* minor units, >= 0 */
    const char *currency;       /* ISO 4217, e.g. "EUR"; NULL: keep / "USD" */
    int64_t created;            /* FNL_TIME_NOW */
    int64_t closed;             /* 0: not closed */
    uint32_t status;            /* fnl_deal_status */
    const char *stage;          /* NULL: keep; the host's stage name */
    const char *owner;          /* NULL: keep */
} fnl_deal_update;

#define FNL_DEAL_UPDATE_INIT                                                 \
    { sizeof(fnl_deal_update), NULL, NULL, NULL, 0, 0, NULL, FNL_TIME_NOW, 0, \
      FNL_DEAL_OPEN, NULL, NULL }
FNL_API int fnl_deal_update_init(fnl_deal_update *u, size_t size);

/**
 * Create or update a deal.  A won or lost deal needs `closed` >= `created`.
 * Errors: FNL_EINVAL, FNL_ENOMEM, FNL_EIO, FNL_EBUSY.
 */
FNL_API int fnl_deal_upsert(fnl_engine *engine, const fnl_deal_update *u,
                            fnl_deal_id *out);
FNL_API int fnl_deal_find(const fnl_engine *engine, const char *id,
                          fnl_deal_id *out);

typedef struct fnl_deal_info {
    uint32_t size;
    fnl_deal_id id;
    const char *name;          /* the deal's id string */
    fnl_account_id account;    /* 0: none */
    int64_t amount;
    char currency[4];          /* NUL-terminated */
    int64_t created;
    int64_t closed;
    uint32_t status;           /* fnl_deal_status */
    const char *stage;         /* NULL: none */
    const char *owner;         /* NULL: none */
    uint32_t contact_count;
} fnl_deal_info;

FNL_API int fnl_deal_get(const fnl_engine *engine, fnl_deal_id id,
                         fnl_deal_info *out);
/** The deal's contacts and roles (copy-out reader; contacts resolved). */
FNL_API int fnl_deal_contacts(const fnl_engine *engine, fnl_deal_id id,
                              fnl_deal_contact *out, size_t cap,
                              size_t *count);
/** Iterate deals in creation order; 0 starts, FNL_ENOTFOUND ends. */
FNL_API int fnl_deal_next(const fnl_engine *engine, fnl_deal_id after,
                          fnl_deal_id *out);

/** Spend on a channel and/or campaign in a region over [start, end). */
typedef struct fnl_cost {
    uint32_t size;
    const char *channel;    /* channel or campaign (or both) required */
    const char *campaign;
    const char *region;     /* NULL: all */
    int64_t start;
    int64_t end;            /* > start */
    int64_t amount;         /* minor units, >= 0 */
    const char *currency;   /* ISO 4217; NULL: "USD" */
} fnl_cost;

#define FNL_COST_INIT \
    { sizeof(fnl_cost), NULL, NULL, NULL, 0, 0, 0, NULL }
FNL_API int fnl_cost_init(fnl_cost *c, size_t size);

/** Record a cost.  *index (may be NULL) receives its position (0-based). */
FNL_API int fnl_cost_add(fnl_engine *engine, const fnl_cost *cost,
                         uint64_t *index);

/** Read the cost at `index` back (strings borrowed, currency NUL-ended in
 *  out_currency[4]).  FNL_ENOTFOUND past the end. */
FNL_API int fnl_cost_get(const fnl_engine *engine, uint64_t index,
                         fnl_cost *out, char out_currency[4]);

/* ------------------------------------------------------------------------
 * Attribution (exact model definitions: docs/attribution.md)
 *
 *  Attribution runs over journeys: ordered touches, each named
 * by a group key (a channel, a campaign, ...: whatever the caller grouped
 * by), with the journey's conversions, non-converting paths ("nulls") and
 * conversion value.  Journeys come from the engine, from a caller
 * (fnl_journeys_add) or from a ChannelAttribution-style paths CSV
 * (fnl_paths_parse / fnl_paths_read).  A run gives an immutable
 * fnl_attribution: one row per group, with the conversions and value
 * credited to it; rows sum to the observed totals.
 *
 * Big data sets: build one fnl_attribution_partial per partition (any
 * split, any order, any machine-local name tables), merge them, finish.
 * The result is bit-identical to a single pass over all journeys.
 *
 * None of these functions needs an engine; memory comes from the
 * allocator in the options (NULL: libc).  Objects are not shared between
 * threads; different objects may be used from different threads at once.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Models.  Values are stable.
 * ------------------------------------------------------------------------ */
typedef enum fnl_attr_model {
    FNL_ATTR_FIRST_TOUCH = 1,
    FNL_ATTR_LAST_TOUCH = 2,
    FNL_ATTR_LAST_NON_DIRECT = 3, /* last touch not in the direct group */
    FNL_ATTR_LINEAR = 4,
    FNL_ATTR_TIME_DECAY = 5,      /* needs touch times */
    FNL_ATTR_U_SHAPED = 6,        /* 40 / 20 / 40 */
    FNL_ATTR_W_SHAPED = 7,        /* 30 first, 30 lead, 30 opportunity, 10 */
    FNL_ATTR_Z_SHAPED = 8,        /* full path: 22.5 x 4 + 10 */
    FNL_ATTR_J_SHAPED = 9,        /* 20 / 20 / 60 */
    FNL_ATTR_INVERSE_J = 10,      /* 60 / 20 / 20 */
    FNL_ATTR_CUSTOM = 11,         /* custom first / middle / last weights */
    FNL_ATTR_MARKOV = 12,         /* removal effect, order 1..4, exact */
    FNL_ATTR_SHAPLEY = 13,        /* Shapley value over channel sets */
    FNL_ATTR_SHAPLEY_ORDERED = 14 /* ordered Shapley value */
} fnl_attr_model;

/** The bit of a model in fnl_attribution_options.models. */
#define FNL_ATTR_BIT(model) (UINT32_C(1) << (model))
/** Every model that needs no touch times. */
#define FNL_ATTR_MODELS_DEFAULT                                              \
    (FNL_ATTR_BIT(FNL_ATTR_FIRST_TOUCH) | FNL_ATTR_BIT(FNL_ATTR_LAST_TOUCH) | \
     FNL_ATTR_BIT(FNL_ATTR_LAST_NON_DIRECT) | FNL_ATTR_BIT(FNL_ATTR_LINEAR) | \
     FNL_ATTR_BIT(FNL_ATTR_U_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_W_SHAPED) |      \
     FNL_ATTR_BIT(FNL_ATTR_Z_SHAPED) | FNL_ATTR_BIT(FNL_ATTR_J_SHAPED) |      \
     FNL_ATTR_BIT(FNL_ATTR_INVERSE_J) | FNL_ATTR_BIT(FNL_ATTR_CUSTOM) |       \
     FNL_ATTR_BIT(FNL_ATTR_MARKOV) | FNL_ATTR_BIT(FNL_ATTR_SHAPLEY) |         \
     FNL_ATTR_BIT(FNL_ATTR_SHAPLEY_ORDERED))

/** The model's name ("first", "last", "last_non_direct", "linear",
 *  "time_decay", "u_shaped", "w_shaped", "z_shaped", "j_shaped",
 *  "inverse_j", "custom", "markov", "shapley", "shapley_ordered"), or NULL
 *  for an unknown value.  Static string. */
FNL_API const char *fnl_attr_model_name(uint32_t model);
/** The model of a name above.  FNL_EINVAL for an unknown name. */
FNL_API int fnl_attr_model_parse(const char *name, uint32_t *out);

/** Coalition worth used by the Shapley models (docs/attribution.md). */
typedef enum fnl_shapley_value {
    FNL_SHAPLEY_RATE = 0,        /* conversion rate of each channel set */
    FNL_SHAPLEY_CONVERSIONS = 1  /* conversions of each channel set */
} fnl_shapley_value;

/** Pass as a journey's conversion_time: "at its last touch". */
#define FNL_ATTR_TIME_UNSET INT64_MIN
/** Default time-decay half-life: 7 days in ms. */
#define FNL_ATTR_HALF_LIFE_DEFAULT INT64_C(604800000)
/** Highest Markov order. */
#define FNL_ATTR_MAX_ORDER 4
/** Most touches in one journey. */
#define FNL_ATTR_MAX_TOUCHES 16777216
/** Most conversions of one journey (2^31 - 1). */
#define FNL_ATTR_MAX_CONVERSIONS INT64_C(2147483647)
/** Largest value of one journey, in integer units (2^47 - 1). */
#define FNL_ATTR_MAX_VALUE INT64_C(140737488355327)

/**
 * Options of an attribution run or partial.  Strings are copied.
 */
typedef struct fnl_attribution_options {
    uint32_t size;
    /** Models to accumulate: FNL_ATTR_BIT(model) | ...  (partials only;
     *  fnl_attribution_run() computes its one model). */
    uint32_t models;
    uint32_t markov_order;       /* 1..FNL_ATTR_MAX_ORDER; default 1 */
    uint32_t shapley_value;      /* fnl_shapley_value; default RATE */
    int64_t half_life_ms;        /* time decay; > 0; default 7 days */
    /** The group skipped by FNL_ATTR_LAST_NON_DIRECT; default "direct";
     *  NULL or "": none (the model is then last touch). */
    const char *direct_group;
    /** FNL_ATTR_CUSTOM weights of the first touch, of all middle touches
     *  together, and of the last touch: >= 0, finite, sum > 0.  Default
     *  40 / 20 / 40. */
    double custom_first;
    double custom_middle;
    double custom_last;
    /** Values are integers; the result reports value / 10^value_decimals
     *  (0..9).  fnl_attribution_run() takes it from the journeys. */
    uint32_t value_decimals;
    const fnl_allocator *allocator; /* NULL: libc */
} fnl_attribution_options;

#define FNL_ATTRIBUTION_OPTIONS_INIT                                         \
    { sizeof(fnl_attribution_options), FNL_ATTR_MODELS_DEFAULT, 1,            \
      FNL_SHAPLEY_RATE, FNL_ATTR_HALF_LIFE_DEFAULT, "direct", 40.0, 20.0,     \
      40.0, 0, NULL }

/** Reset *opts to the defaults above for a struct of `size` bytes.
 *  FNL_EINVAL if opts is NULL or size is too small. */
FNL_API int fnl_attribution_options_init(fnl_attribution_options *opts,
                                         size_t size);

/* ------------------------------------------------------------------------
 * Journeys built by the caller or read from a paths file
 * ------------------------------------------------------------------------ */

typedef struct fnl_journeys fnl_journeys;

/**
 * A new, empty set of journeys.  Values added later are integers; results
 * report them divided by 10^value_decimals (0..9).  allocator NULL: libc
 * (the table is copied).  Free with fnl_journeys_free().
 * Errors: FNL_EINVAL, FNL_EVERSION (allocator table), FNL_ENOMEM.
 */
FNL_API int fnl_journeys_new(fnl_journeys **out, uint32_t value_decimals,
                             const fnl_allocator *allocator);
/** Free a set of journeys.  NULL is a no-op. */
FNL_API void fnl_journeys_free(fnl_journeys *journeys);

/** One journey, for fnl_journeys_add().  Arrays are read during the call
 *  only. */
typedef struct fnl_journey {
    uint32_t size;
    const char *const *groups;  /* touch_count group keys, in touch order */
    const int64_t *times;       /* NULL, or touch_count non-decreasing ms */
    size_t touch_count;         /* 1..FNL_ATTR_MAX_TOUCHES */
    uint64_t conversions;       /* 0..FNL_ATTR_MAX_CONVERSIONS */
    uint64_t nulls;             /* non-converting paths it stands for */
    int64_t value;              /* 0..FNL_ATTR_MAX_VALUE; 0 if no conv. */
    /** >= the last touch time; FNL_ATTR_TIME_UNSET: the last touch's. */
    int64_t conversion_time;
    /** Touch indices (0-based) of lead creation, opportunity creation and
     *  deal close for the W- and Z-shaped models; -1: none. */
    int32_t lead_index;
    int32_t opportunity_index;
    int32_t close_index;
} fnl_journey;

#define FNL_JOURNEY_INIT                                                     \
    { sizeof(fnl_journey), NULL, NULL, 0, 0, 0, 0, FNL_ATTR_TIME_UNSET, -1,   \
      -1, -1 }
FNL_API int fnl_journey_init(fnl_journey *journey, size_t size);

/**
 * Append one journey (group keys are copied).  A journey with 0
 * conversions and 0 nulls is kept but weighs nothing.
 * Errors: FNL_EINVAL (NULL, empty or over-long key, bad index, times not
 * non-decreasing, conversion_time before the last touch, value without
 * conversions), FNL_ELIMIT (over a FNL_ATTR_MAX_* limit), FNL_ENOMEM.
 * On error nothing is added.
 */
FNL_API int fnl_journeys_add(fnl_journeys *journeys,
                             const fnl_journey *journey);

/** Number of journeys (rows of a paths file).  0 for NULL. */
FNL_API size_t fnl_journeys_count(const fnl_journeys *journeys);
/** Number of distinct group keys.  0 for NULL. */
FNL_API size_t fnl_journeys_group_count(const fnl_journeys *journeys);

/* ---- ChannelAttribution-compatible paths CSV --------------------------- */

/** Options of fnl_paths_parse() / fnl_paths_read(). */
typedef struct fnl_paths_options {
    uint32_t size;
    /** Decimal digits kept of total_conversion_value (0..9, default 2):
     *  values are stored as round(value * 10^d), half away from zero. */
    uint32_t value_decimals;
    /** The channel separator inside `path`; default '>'. */
    char separator;
    const fnl_allocator *allocator; /* NULL: libc */
} fnl_paths_options;

#define FNL_PATHS_OPTIONS_INIT \
    { sizeof(fnl_paths_options), 2, '>', NULL }
FNL_API int fnl_paths_options_init(fnl_paths_options *opts, size_t size);

/** Where and why a paths file was rejected. */
typedef struct fnl_paths_error {
    uint32_t size;
    uint64_t line;      /* 1-based; 0 if not about a position */
    uint64_t column;    /* 1-based byte column within the line */
    char message[160];  /* NUL-terminated English text */
} fnl_paths_error;

#define FNL_PATHS_ERROR_INIT { sizeof(fnl_paths_error), 0, 0, { 0 } }

/**
 * Parse a paths CSV from memory into a new set of journeys, one journey
 * per data row.  Format: RFC 4180 (comma separated, fields may be quoted
 * with '"', a quote inside written ""), UTF-8 with or without a BOM, LF
 * or CRLF line ends, a header row whose names are matched ASCII case-
 * insensitively: `path` and `total_conversions` are required,
 * `total_conversion_value` and `total_null` optional, other columns are
 * ignored.  `path` is "a > b > c": channel names split on the separator
 * and trimmed of spaces and tabs, empty names skipped (as
 * ChannelAttribution does); a path with no channel is an error.  Counts
 * are non-negative integers (a decimal point or exponent is allowed when
 * the number is whole: "3.0", "1e+05"); values are non-negative decimals.
 * Empty lines are skipped.  opts NULL: defaults; err may be NULL.
 * Errors: FNL_EINVAL (bad arguments), FNL_ECORRUPT (malformed file: *err
 * says where), FNL_ELIMIT (a count or value over the limits), FNL_ENOMEM.
 * On error *out is untouched.
 */
FNL_API int fnl_paths_parse(fnl_journeys **out, const char *buf, size_t len,
                            const fnl_paths_options *opts,
                            fnl_paths_error *err);
/** The same from a file.  FNL_EIO if it cannot be opened or read. */
FNL_API int fnl_paths_read(fnl_journeys **out, const char *filename,
                           const fnl_paths_options *opts,
                           fnl_paths_error *err);

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

typedef struct fnl_attribution fnl_attribution;

/**
 * Run one model over all journeys.  opts NULL: defaults (opts->models is
 * ignored; value_decimals comes from the journeys).  Free *out with
 * fnl_attribution_free().
 * Errors: FNL_EINVAL (bad options, unknown model, time decay over
 * journeys without times), FNL_ERANGE (the Markov solver did not
 * converge), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_run(fnl_attribution **out,
                                const fnl_journeys *journeys, uint32_t model,
                                const fnl_attribution_options *opts);

/** Free a result.  NULL is a no-op. */
FNL_API void fnl_attribution_free(fnl_attribution *result);

/** What a result is about (strings borrowed from the result). */
typedef struct fnl_attribution_info {
    uint32_t size;
    uint32_t model;
    uint32_t markov_order;
    uint32_t shapley_value;
    int64_t half_life_ms;
    const char *direct_group;   /* "" when none */
    double custom_first;
    double custom_middle;
    double custom_last;
    uint32_t value_decimals;
    uint64_t row_count;
    uint64_t journeys;          /* journeys with conversions + nulls > 0 */
    uint64_t touches;           /* touches x (conversions + nulls) */
    double total_conversions;   /* observed; rows sum to it */
    double total_value;         /* observed, / 10^value_decimals */
    double total_nulls;
    /** Markov: conversion probability from the start state, and the
     *  number of transient states; 0 for other models. */
    double markov_conversion_probability;
    uint64_t markov_states;
    /** Ordered Shapley: positions per row (fnl_attribution_positions). */
    uint32_t positions;
} fnl_attribution_info;

#define FNL_ATTRIBUTION_INFO_INIT                                            \
    { sizeof(fnl_attribution_info), 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, \
      0, 0, 0, 0, 0 }
FNL_API int fnl_attribution_info_init(fnl_attribution_info *info,
                                      size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_attribution_get_info(const fnl_attribution *result,
                                     fnl_attribution_info *out);

/** One row: the credit of one group.  `key` is borrowed from the result. */
typedef struct fnl_attribution_row {
    uint32_t size;
    const char *key;
    double conversions;         /* credited */
    double value;               /* credited, / 10^value_decimals */
    uint64_t touches;           /* touches x (conversions + nulls) */
    double removal_effect;      /* Markov: on conversions; else 0 */
    double value_removal_effect;/* Markov: on value; else 0 */
} fnl_attribution_row;

#define FNL_ATTRIBUTION_ROW_INIT \
    { sizeof(fnl_attribution_row), NULL, 0, 0, 0, 0, 0 }
FNL_API int fnl_attribution_row_init(fnl_attribution_row *row, size_t size);

/** Number of rows (groups seen in weighted journeys), sorted bytewise by
 *  key.  0 for NULL. */
FNL_API size_t fnl_attribution_row_count(const fnl_attribution *result);
/** Row `index` into *out (whose size the caller set).
 *  FNL_ENOTFOUND past the end; FNL_EINVAL on NULL. */
FNL_API int fnl_attribution_row_get(const fnl_attribution *result,
                                    size_t index, fnl_attribution_row *out);
/**
 * Ordered Shapley: the conversions credited to row `index` at each
 * position of the ordered channel sequence (position 0 = first distinct
 * channel; the last position collects all later ones).  A copy-out reader
 * (see fnl_contact_keys): FNL_ERANGE with *count set when cap is short.
 * Other models have 0 positions.
 */
FNL_API int fnl_attribution_positions(const fnl_attribution *result,
                                      size_t index, double *out, size_t cap,
                                      size_t *count);

/* ------------------------------------------------------------------------
 * Mergeable partial results
 * ------------------------------------------------------------------------ */

typedef struct fnl_attribution_partial fnl_attribution_partial;

/** A new, empty partial accumulating opts->models.  opts NULL: defaults.
 *  Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM. */
FNL_API int fnl_attribution_partial_new(fnl_attribution_partial **out,
                                        const fnl_attribution_options *opts);
/** Free a partial.  NULL is a no-op. */
FNL_API void fnl_attribution_partial_free(fnl_attribution_partial *partial);

/**
 * Accumulate journeys [first, first + count) of `journeys`.  All or
 * nothing: on error the partial's results are as before.
 * Errors: FNL_EINVAL (range, value_decimals differing from the partial's,
 * time decay without times), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_add(fnl_attribution_partial *partial,
                                        const fnl_journeys *journeys,
                                        size_t first, size_t count);
/**
 * Add everything `src` accumulated into `dst`; group keys are matched by
 * name.  Both need identical options (models, parameters, decimals):
 * FNL_EINVAL otherwise.  All or nothing.  src is unchanged.
 */
FNL_API int fnl_attribution_partial_merge(fnl_attribution_partial *dst,
                                          const fnl_attribution_partial *src);
/**
 * The result of one of the partial's models (the partial stays usable).
 * Errors: FNL_EINVAL (model not accumulated), FNL_ERANGE (Markov solver
 * did not converge), FNL_ENOMEM.
 */
FNL_API int fnl_attribution_partial_finish(
    const fnl_attribution_partial *partial, uint32_t model,
    fnl_attribution **out);

#ifdef __cplusplus
}
#endif

#endif /* FUNNELCORE_H */
