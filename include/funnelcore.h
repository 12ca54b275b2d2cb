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
 *    Every fnl_<type>_init(p, size) follows one rule: FNL_EINVAL, writing
 *    nothing, for p NULL or size below 4 (sizeof the size field) or above
 *    UINT32_MAX; else the first min(size, sizeof) bytes become the INIT
 *    value, p->size becomes min(size, sizeof) -- the bytes this library
 *    reads and writes, so a caller built against a newer header can tell
 *    -- bytes from sizeof up to `size` are zeroed, and nothing past `size`
 *    is written (docs/abi.md).
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
    FNL_EVENT_CONTACT_FORGOTTEN = 5, /* contact: the (now stale) handle */
    FNL_EVENT_KEY_EVENT = 6, /* contact; model: the model's name; name: the
                               key event's name; time: when it fired */
    FNL_EVENT_STAGE_CHANGED = 7, /* contact; name: the new stage; time: when
                                    it was entered */
    FNL_EVENT_SLA_BREACH = 8,    /* contact; name: the SLA's name; time: its
                                    deadline */
    FNL_EVENT_ROUTED = 9,        /* contact; name: the new owner (NULL: none) */
    FNL_EVENT_STEP_DUE = 10      /* contact; name: the step's action; time:
                                    its due time */
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
    const char *model; /* key events: the scoring model's name */
} fnl_event;

#define FNL_PROGRESS_VERSION 1
/**
 * Progress of a long operation (rescoring, attribution, loading): report
 * is called now and then with work done out of total; returning non-zero
 * cancels the operation, which then fails with FNL_ECANCELED and changes
 * nothing.
 */
typedef struct fnl_progress {
    uint32_t version; /* FNL_PROGRESS_VERSION */
    void *ctx;
    int (*report)(void *ctx, uint64_t done, uint64_t total);
} fnl_progress;

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
/** Reset *stats (of `size` bytes) to FNL_STATS_INIT. */
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
 * default country code applied to national ones, giving "+<digits>"; an
 * extension written "x123", "ext. 123", "#123" or "转123" is kept as
 * ";ext=123", so desk phones behind one switchboard stay apart); every
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
/** Reset *u (of `size` bytes) to FNL_CONTACT_UPDATE_INIT. */
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
/** Reset *info (of `size` bytes) to FNL_CONTACT_INFO_INIT. */
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
/** Reset *u (of `size` bytes) to FNL_ACCOUNT_UPDATE_INIT. */
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
/** Reset *info (of `size` bytes) to FNL_ACCOUNT_INFO_INIT. */
FNL_API int fnl_account_info_init(fnl_account_info *info, size_t size);
/** Fill *out (whose size the caller set) for an account; strings are
 *  borrowed until the next mutating call.  Errors: FNL_EINVAL,
 *  FNL_ENOTFOUND, FNL_ESTALE. */
FNL_API int fnl_account_get(const fnl_engine *engine, fnl_account_id id,
                            fnl_account_info *out);
/** The account's domains (copy-out reader, see fnl_contact_keys). */
FNL_API int fnl_account_domains(const fnl_engine *engine, fnl_account_id id,
                                const char **out, size_t cap, size_t *count);
/** The account's attributes sorted by name (copy-out reader, see
 *  fnl_contact_keys). */
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
    /** Who made the touch: the person or system on the host's side,
     * e.g. the sales rep "alice" who made a call; NULL none.  UTF-8, 1 to
     * FNL_MAX_STRING bytes, kept byte for byte (no case folding), so
     * that it compares equal to a contact's owner of the same spelling
     * (SLAs counting touches "by the owner").  Not a dimension: scoring
     * rules and attribution do not see it.  It names the actor, not the
     * contact, so fnl_contact_forget() keeps it. */
    const char *by;
} fnl_touch;

#define FNL_TOUCH_INIT                                                       \
    { sizeof(fnl_touch), FNL_TIME_NOW, NULL, 0, 0, NULL, NULL, NULL, NULL,    \
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL }
/** Reset *t (of `size` bytes) to FNL_TOUCH_INIT. */
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
    const char *by;             /* who made it (fnl_touch.by), NULL none */
} fnl_touch_info;

/**
 * A contact's touches in time order (ties in arrival order): a copy-out
 * reader (see fnl_contact_keys) over an array of fnl_touch_info whose
 * element size is `elem_size` (pass sizeof(fnl_touch_info)).  Only the
 * first elem_size bytes of each element are written, so a caller built
 * against an older, smaller fnl_touch_info (without `by`) keeps working.
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
 *
 * Attributes (`attrs`: product, sector, region, source, ... -- the same
 * fnl_attr names, types and limits as contact attributes) are set or
 * replaced one by one: each attribute given replaces the deal's value of
 * that name (the latest update wins; deals have no source precedence),
 * FNL_ATTR_UNSET removes it, and attributes not named are kept.
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
    /** Attributes to set, replace (or, with FNL_ATTR_UNSET, remove); at
     *  most FNL_MAX_ATTRS per call.  A caller built against an older
     *  header (a smaller `size`) sets none. */
    const fnl_attr *attrs;
    size_t attr_count;
} fnl_deal_update;

#define FNL_DEAL_UPDATE_INIT                                                 \
    { sizeof(fnl_deal_update), NULL, NULL, NULL, 0, 0, NULL, FNL_TIME_NOW, 0, \
      FNL_DEAL_OPEN, NULL, NULL, NULL, 0 }
/** Reset *u (of `size` bytes) to FNL_DEAL_UPDATE_INIT. */
FNL_API int fnl_deal_update_init(fnl_deal_update *u, size_t size);

/**
 * Create or update a deal.  A won or lost deal needs `closed` >= `created`.
 * Errors: FNL_EINVAL, FNL_ENOMEM, FNL_EIO, FNL_EBUSY.
 */
FNL_API int fnl_deal_upsert(fnl_engine *engine, const fnl_deal_update *u,
                            fnl_deal_id *out);
/** The handle of the deal whose id string is `id`.  Errors: FNL_EINVAL,
 *  FNL_ENOTFOUND. */
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
    uint32_t attr_count;       /* attributes (fnl_deal_attrs) */
} fnl_deal_info;

/** Fill *out (whose size the caller set) for a deal; strings are
 *  borrowed until the next mutating call.  Errors: FNL_EINVAL,
 *  FNL_ENOTFOUND, FNL_ESTALE. */
FNL_API int fnl_deal_get(const fnl_engine *engine, fnl_deal_id id,
                         fnl_deal_info *out);
/** The deal's contacts and roles (copy-out reader; contacts resolved). */
FNL_API int fnl_deal_contacts(const fnl_engine *engine, fnl_deal_id id,
                              fnl_deal_contact *out, size_t cap,
                              size_t *count);
/**
 * The deal's attributes sorted by name: a copy-out reader (see
 * fnl_contact_keys); strings borrowed.  Errors: FNL_EINVAL,
 * FNL_ENOTFOUND / FNL_ESTALE (bad handle), FNL_ERANGE (cap too small,
 * *count set).
 */
FNL_API int fnl_deal_attrs(const fnl_engine *engine, fnl_deal_id id,
                           fnl_attr *out, size_t cap, size_t *count);
/** One deal attribute by name (case folded as on input); FNL_ENOTFOUND
 *  if the deal lacks it. */
FNL_API int fnl_deal_attr(const fnl_engine *engine, fnl_deal_id id,
                          const char *name, fnl_attr *out);
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
/** Reset *c (of `size` bytes) to FNL_COST_INIT. */
FNL_API int fnl_cost_init(fnl_cost *c, size_t size);

/** Record a cost.  *index (may be NULL) receives its position (0-based). */
FNL_API int fnl_cost_add(fnl_engine *engine, const fnl_cost *cost,
                         uint64_t *index);

/** Read the cost at `index` back (strings borrowed, currency NUL-ended in
 *  out_currency[4]).  FNL_ENOTFOUND past the end. */
FNL_API int fnl_cost_get(const fnl_engine *engine, uint64_t index,
                         fnl_cost *out, char out_currency[4]);

/* ------------------------------------------------------------------------
 * Owners
 *
 * Contacts, accounts and deals name their owner with a plain string (the
 * sales rep "ana").  An owner record gives such a name attributes -- its
 * manager, office, region, team, anything -- that reports group deals by
 * (FNL_DEAL_BY_OWNER_ATTR).  Records are found by the exact owner string
 * (case sensitive, as stored on deals); an owner string with no record
 * simply has no attributes, and a record may exist before anything names
 * it.  Owner records are not personal data of contacts: forgetting a
 * contact leaves them alone.
 * ------------------------------------------------------------------------ */

/** Create or update the record of one owner. */
typedef struct fnl_owner_update {
    uint32_t size;
    const char *name;          /* required: the owner string */
    const fnl_attr *attrs;     /* set / replace; FNL_ATTR_UNSET removes */
    size_t attr_count;
    const char *source;        /* NULL or the data source, for precedence */
    int64_t time;              /* when the data was true; FNL_TIME_NOW */
} fnl_owner_update;

#define FNL_OWNER_UPDATE_INIT \
    { sizeof(fnl_owner_update), NULL, NULL, 0, NULL, FNL_TIME_NOW }
/** Reset *u (of `size` bytes) to FNL_OWNER_UPDATE_INIT, for FFI callers. */
FNL_API int fnl_owner_update_init(fnl_owner_update *u, size_t size);

/**
 * Create or update an owner record.  Attributes follow the engine's
 * precedence exactly as contact and account attributes do (the latest
 * `time` wins; with FNL_PRECEDENCE_SOURCE a higher-priority source first);
 * attributes not named are kept.
 * Errors: FNL_EINVAL (name missing, empty, over FNL_MAX_STRING bytes or
 * not UTF-8; a bad attribute or time), FNL_ELIMIT (over FNL_MAX_ATTRS
 * attributes), FNL_ENOMEM, FNL_EIO, FNL_EBUSY.  A failed call changes
 * nothing.
 */
FNL_API int fnl_owner_upsert(fnl_engine *engine, const fnl_owner_update *u);

/** An owner record; strings borrowed (see the conventions). */
typedef struct fnl_owner_info {
    uint32_t size;
    const char *name;
    uint32_t attr_count;
    int64_t created;           /* `time` of the update that created it */
} fnl_owner_info;

#define FNL_OWNER_INFO_INIT { sizeof(fnl_owner_info), NULL, 0, 0 }
/** Reset *info (of `size` bytes) to FNL_OWNER_INFO_INIT. */
FNL_API int fnl_owner_info_init(fnl_owner_info *info, size_t size);

/** Fill *out (whose size the caller set) for the owner `name`.
 *  FNL_ENOTFOUND when the name has no record; FNL_EINVAL for NULL. */
FNL_API int fnl_owner_get(const fnl_engine *engine, const char *name,
                          fnl_owner_info *out);
/**
 * The owner's attributes sorted by name (copy-out reader, see
 * fnl_contact_keys).  A name without a record has none: FNL_OK with
 * *count 0.
 */
FNL_API int fnl_owner_attrs(const fnl_engine *engine, const char *name,
                            fnl_attr *out, size_t cap, size_t *count);
/** One owner attribute by name; FNL_ENOTFOUND if the owner has no record
 *  or the record lacks it. */
FNL_API int fnl_owner_attr(const fnl_engine *engine, const char *name,
                           const char *attr, fnl_attr *out);
/** The names of all owner records, sorted bytewise (copy-out reader). */
FNL_API int fnl_owner_list(const fnl_engine *engine, const char **out,
                           size_t cap, size_t *count);

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
/** Reset *journey (of `size` bytes) to FNL_JOURNEY_INIT. */
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
    /** The channel separator inside `path`; default '>'.  An ASCII
     *  character (a byte >= 0x80 would split UTF-8 characters) other than
     *  NUL, '"', ',', space, tab, CR and LF; else FNL_EINVAL. */
    char separator;
    const fnl_allocator *allocator; /* NULL: libc */
} fnl_paths_options;

#define FNL_PATHS_OPTIONS_INIT \
    { sizeof(fnl_paths_options), 2, '>', NULL }
/** Reset *opts (of `size` bytes) to FNL_PATHS_OPTIONS_INIT. */
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
 * Errors: FNL_EINVAL (bad arguments; a bad option's message says which),
 * FNL_ECORRUPT (malformed file: *err says where), FNL_ELIMIT (a count or
 * value over the limits), FNL_ENOMEM.  On error *out is untouched, and
 * *err holds a message unless a pointer argument was NULL.
 */
FNL_API int fnl_paths_parse(fnl_journeys **out, const char *buf, size_t len,
                            const fnl_paths_options *opts,
                            fnl_paths_error *err);
/** The same from a file.  FNL_EIO if it cannot be opened or read (a
 *  directory included); *err's message then names the file and gives the
 *  system's reason ("cannot open \"x.csv\": No such file or directory"),
 *  with line 0. */
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
/** Reset *info (of `size` bytes) to FNL_ATTRIBUTION_INFO_INIT. */
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
/** Reset *row (of `size` bytes) to FNL_ATTRIBUTION_ROW_INIT. */
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

/* ------------------------------------------------------------------------
 * Lead scoring (text format and semantics: docs/scoring.md)
 *
 * Everything here is meant to move, as is, into include/funnelcore.h
 * (section "Lead scoring"); until then the library's .c files include it
 * and export these symbols with FNL_API.  The model language, the exact
 * semantics of caps, windows, key events and decay, and worked examples
 * are in docs/scoring.md.
 *
 * Overview.  A scoring model is built with the builder calls below or
 * parsed from its text format, and compiled into an immutable fnl_model.
 * A model gives every contact:
 *
 *   fit         the sum of the points of the fit rules its profile
 *               attributes match (no decay);
 *   engagement  the points its touches earned through engagement rules
 *               and key events, each decaying with the model's half-life
 *               from the time it was earned;
 *   total       fit + engagement;
 *   grade       'A'..'D' from fit, band 1..4 from engagement, and the
 *               matrix cell "A1".."D4" (A1 best);
 *   thresholds  named boolean expressions ("mql when score >= 60 and
 *               grade >= B") a stage machine can use as guards.
 *
 * The functions below need no engine: memory comes from the allocator
 * given to the builder or parser (NULL: libc), which the model keeps.  A
 * model is immutable, so one model may be read from several threads at
 * once; builders and expressions are used by one thread at a time.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

/** Most engagement rules, key events and thresholds in one model (each). */
#define FNL_MODEL_MAX_ENGAGE 64
#define FNL_MODEL_MAX_KEY_EVENTS 64
#define FNL_MODEL_MAX_THRESHOLDS 64
/** Most fit rules in one model. */
#define FNL_MODEL_MAX_FIT 1024
/** Most conditions in one rule, and values in one `in (...)` list. */
#define FNL_MODEL_MAX_CONDS 16
#define FNL_MODEL_MAX_VALUES 256
/** Largest N of "per_window N in W" and of a key event's "count N". */
#define FNL_MODEL_MAX_WINDOW 256
/** Longest half-life, window or key-event period: 100 years of 365 days. */
#define FNL_MODEL_MAX_DURATION INT64_C(3153600000000)
/** Largest magnitude of points, caps and thresholds. */
#define FNL_MODEL_MAX_POINTS 1e12
/** Largest top-N of an account roll-up. */
#define FNL_MODEL_MAX_TOP_N 64

/* ------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------ */

typedef struct fnl_model fnl_model;
typedef struct fnl_model_builder fnl_model_builder;

/**
 * Where and why parsing failed.  line and column count from 1 (column in
 * bytes); message is an English, NUL-terminated description ("unknown
 * keyword 'fitt'", "points need a sign, e.g. +10 or -5").  On an
 * allocation failure line and column are 0 and message is "out of
 * memory".  On success line and column are 0 and message is "".
 */
typedef struct fnl_parse_error {
    uint32_t size;
    uint32_t line;
    uint32_t column;
    char message[256];
} fnl_parse_error;

#define FNL_PARSE_ERROR_INIT { sizeof(fnl_parse_error), 0, 0, { 0 } }
/** Reset *err for a caller whose struct is `size` bytes.  FNL_EINVAL if
 *  err is NULL or size is smaller than the size field. */
FNL_API int fnl_parse_error_init(fnl_parse_error *err, size_t size);

/**
 * Parse a model from its text format (docs/scoring.md) and compile it.
 * text[0..len) need not be NUL-terminated; it must be UTF-8.  alloc (NULL:
 * libc) is copied and used for everything the model holds.  err may be
 * NULL; when given, its size field must be set.
 *
 * On success *out owns a new model, freed with fnl_model_free().  On
 * failure *out is not written and no model exists: there are no partial
 * models.  Attribute names the model refers to need not exist anywhere
 * (a contact lacking one simply does not match); unknown keywords, fields,
 * units and key-event names are errors.
 * Errors: FNL_EINVAL (out or text NULL, bad allocator; or a syntax or
 * semantic error, described in *err), FNL_EEXIST (a name defined twice,
 * e.g. two key events or thresholds of one name, described in *err),
 * FNL_ELIMIT (a limit above exceeded, described in *err), FNL_EVERSION
 * (allocator table too new), FNL_ENOMEM.
 */
FNL_API int fnl_model_parse(fnl_model **out, const char *text, size_t len,
                            const fnl_allocator *alloc, fnl_parse_error *err);

/** Free a model.  NULL is a no-op.  Strings borrowed from it die with it. */
FNL_API void fnl_model_free(fnl_model *model);

/** The model's name, borrowed until fnl_model_free(); "" for NULL. */
FNL_API const char *fnl_model_name(const fnl_model *model);

/** Facts about a model. */
typedef struct fnl_model_info {
    uint32_t size;
    const char *name;        /* borrowed from the model */
    uint32_t version;
    int64_t half_life;       /* ms; 0: no decay */
    uint32_t fit_rules;
    uint32_t engage_rules;
    uint32_t key_events;
    uint32_t thresholds;
    uint64_t fingerprint;    /* hash of the canonical text */
} fnl_model_info;

#define FNL_MODEL_INFO_INIT \
    { sizeof(fnl_model_info), NULL, 0, 0, 0, 0, 0, 0, 0 }
/** Reset *info (of `size` bytes) to FNL_MODEL_INFO_INIT. */
FNL_API int fnl_model_info_init(fnl_model_info *info, size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_model_get_info(const fnl_model *model, fnl_model_info *out);

/**
 * The model in canonical text form: parsing it gives the same model, and
 * printing that model gives the same text byte for byte.  Writes the text
 * and a NUL to buf when cap > the text's length; *len (required) receives
 * the length without the NUL.  When cap is too small nothing is written
 * and FNL_ERANGE is returned with *len set, so a caller can size a buffer
 * (len + 1) and call again.  buf may be NULL when cap is 0.
 * The text is built when the model is compiled, so this never allocates.
 */
FNL_API int fnl_model_to_text(const fnl_model *model, char *buf, size_t cap,
                              size_t *len);

/** The name of key event `index` (0-based, in definition order), borrowed
 *  from the model; NULL when out of range. */
FNL_API const char *fnl_model_key_event_name(const fnl_model *model,
                                             uint32_t index);
/** The name of threshold `index`, borrowed; NULL when out of range. */
FNL_API const char *fnl_model_threshold_name(const fnl_model *model,
                                             uint32_t index);
/** The index of the threshold called `name` (ASCII case ignored).
 *  FNL_ENOTFOUND when there is none; FNL_EINVAL on NULL. */
FNL_API int fnl_model_threshold_find(const fnl_model *model, const char *name,
                                     uint32_t *index);

/* ------------------------------------------------------------------------
 * Building a model through the API
 *
 * Each add call validates its input completely and either adds the rule
 * or changes nothing (FNL_EINVAL, FNL_ELIMIT, FNL_ENOMEM).  Strings and
 * arrays are copied.  Rules keep the order in which they were added.
 * ------------------------------------------------------------------------ */

/** Match operators (values stable). */
typedef enum fnl_match_op {
    FNL_MATCH_EQUALS = 1,      /* string equal to values[0] (ASCII case
                                  ignored) */
    FNL_MATCH_IN = 2,          /* equal to one of values[] */
    FNL_MATCH_CONTAINS = 3,    /* contains values[0] (case ignored) */
    FNL_MATCH_PREFIX = 4,      /* starts with values[0] */
    FNL_MATCH_SUFFIX = 5,      /* ends with values[0] */
    FNL_MATCH_EXISTS = 6,      /* present (and not empty) */
    FNL_MATCH_MISSING = 7,     /* absent or empty */
    FNL_MATCH_NUM_EQ = 8,      /* number == num1 */
    FNL_MATCH_GE = 9,          /* number >= num1 */
    FNL_MATCH_GT = 10,         /* number >  num1 */
    FNL_MATCH_LE = 11,         /* number <= num1 */
    FNL_MATCH_LT = 12,         /* number <  num1 */
    FNL_MATCH_BETWEEN = 13,    /* num1 <= number <= num2 */
    FNL_MATCH_FREEMAIL = 14,   /* fit only: an e-mail address or domain on
                                  the free-mail list */
    FNL_MATCH_DOMAIN = 15      /* fit only: the e-mail domain (or the value
                                  itself) is one of values[] or a subdomain
                                  of one */
} fnl_match_op;

/**
 * One condition.  In a fit rule `name` is a profile attribute name
 * ([a-z0-9_.-], case folded); in an engagement rule or key event it is a
 * touch field: "type", "channel", "campaign", "content", "utm_source",
 * "utm_medium", "utm_campaign", "utm_term", "utm_content" (string
 * operators) or "value" (numeric operators only).  negate (0 or 1) inverts
 * the string operators EQUALS..SUFFIX, FREEMAIL and DOMAIN; an absent value
 * matches nothing but MISSING, negated or not.  Numbers must be finite,
 * |x| <= FNL_MODEL_MAX_POINTS, with at most 9 decimals (so that the text
 * form is exact).
 */
typedef struct fnl_match {
    const char *name;
    uint32_t op;                 /* fnl_match_op */
    uint32_t negate;
    const char *const *values;   /* EQUALS..SUFFIX: 1; IN, DOMAIN: >= 1 */
    size_t value_count;
    double num1;
    double num2;
} fnl_match;

/** A fit rule: `points` when every condition holds. */
typedef struct fnl_fit_rule {
    uint32_t size;
    const fnl_match *conds;      /* 1..FNL_MODEL_MAX_CONDS */
    size_t cond_count;
    double points;
} fnl_fit_rule;

#define FNL_FIT_RULE_INIT { sizeof(fnl_fit_rule), NULL, 0, 0.0 }
/** Reset *r (of `size` bytes) to FNL_FIT_RULE_INIT. */
FNL_API int fnl_fit_rule_init(fnl_fit_rule *r, size_t size);

/**
 * An engagement rule: `points` per matching touch, counted in time order.
 * window_count > 0: at most window_count touches are counted in any
 * window of window_ms (docs/scoring.md: the window of a touch at t is
 * (t - window_ms, t]).  cap > 0: the rule's current value (decayed) never
 * exceeds cap in magnitude.
 */
typedef struct fnl_engage_rule {
    uint32_t size;
    const fnl_match *conds;      /* 1..FNL_MODEL_MAX_CONDS */
    size_t cond_count;
    double points;
    double cap;                  /* 0: none */
    uint32_t window_count;       /* 0: none; else 1..FNL_MODEL_MAX_WINDOW */
    int64_t window_ms;           /* > 0 when window_count > 0 */
} fnl_engage_rule;

#define FNL_ENGAGE_RULE_INIT { sizeof(fnl_engage_rule), NULL, 0, 0.0, 0.0, 0, 0 }
/** Reset *r (of `size` bytes) to FNL_ENGAGE_RULE_INIT. */
FNL_API int fnl_engage_rule_init(fnl_engage_rule *r, size_t size);

/**
 * A key event: fires at a matching touch when it and the count - 1
 * matching touches before it lie within `within_ms` (0: any time), and
 * the event has not fired within the last within_ms (within_ms 0: fires
 * once per contact, ever).  Each firing adds `points` of engagement.
 */
typedef struct fnl_key_event_rule {
    uint32_t size;
    const char *name;            /* required, unique in the model */
    const fnl_match *conds;
    size_t cond_count;
    uint32_t count;              /* 1..FNL_MODEL_MAX_WINDOW (0 means 1) */
    int64_t within_ms;           /* 0: no window */
    double points;
} fnl_key_event_rule;

#define FNL_KEY_EVENT_RULE_INIT \
    { sizeof(fnl_key_event_rule), NULL, NULL, 0, 1, 0, 0.0 }
/** Reset *r (of `size` bytes) to FNL_KEY_EVENT_RULE_INIT. */
FNL_API int fnl_key_event_rule_init(fnl_key_event_rule *r, size_t size);

/** Account roll-up modes. */
typedef enum fnl_rollup {
    FNL_ROLLUP_SUM = 1,   /* sum of the contacts' totals (the default) */
    FNL_ROLLUP_MAX = 2,   /* the best contact's total */
    FNL_ROLLUP_TOP = 3    /* mean of the top_n best totals */
} fnl_rollup;

/**
 * Start a model called `name` (non-empty UTF-8, at most FNL_MAX_NAME
 * bytes, copied).  alloc (NULL: libc) is copied and becomes the model's.
 * *out owns the builder; free it with fnl_model_builder_free().
 * Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_new(fnl_model_builder **out, const char *name,
                                  const fnl_allocator *alloc);
/** Free a builder (and whatever it holds).  NULL is a no-op. */
FNL_API void fnl_model_builder_free(fnl_model_builder *b);
/** Set the model's version number (default 1). */
FNL_API int fnl_model_builder_version(fnl_model_builder *b, uint32_t version);
/** Engagement half-life in ms, 1..FNL_MODEL_MAX_DURATION; 0: no decay
 *  (the default). */
FNL_API int fnl_model_builder_decay(fnl_model_builder *b, int64_t half_life);
/** Add a fit rule.  FNL_ELIMIT past FNL_MODEL_MAX_FIT rules. */
FNL_API int fnl_model_builder_fit(fnl_model_builder *b, const fnl_fit_rule *r);
/** Add an engagement rule.  FNL_ELIMIT past FNL_MODEL_MAX_ENGAGE rules. */
FNL_API int fnl_model_builder_engage(fnl_model_builder *b,
                                     const fnl_engage_rule *r);
/** Add a key event.  FNL_EEXIST when the name is taken (ASCII case
 *  ignored); FNL_ELIMIT past FNL_MODEL_MAX_KEY_EVENTS. */
FNL_API int fnl_model_builder_key_event(fnl_model_builder *b,
                                        const fnl_key_event_rule *r);
/** Grade `grade` ('A', 'B' or 'C') is given when fit >= min_fit.  Below
 *  every defined threshold the grade is 'D'.  At finish, A >= B >= C must
 *  hold among those defined. */
FNL_API int fnl_model_builder_grade(fnl_model_builder *b, char grade,
                                    double min_fit);
/** Band `band` (1, 2 or 3) is given when engagement >= min_engagement;
 *  below every defined threshold the band is 4.  At finish, 1 >= 2 >= 3
 *  must hold among those defined. */
FNL_API int fnl_model_builder_band(fnl_model_builder *b, uint32_t band,
                                   double min_engagement);
/**
 * Add a named threshold: `expr` in the expression language of
 * docs/scoring.md ("score >= 60 and grade >= B"); key events it names must
 * have been added before.  name is [a-z0-9_], unique.  err may be NULL.
 * Errors: FNL_EINVAL (bad name or expression, see *err), FNL_EEXIST,
 * FNL_ELIMIT, FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_threshold(fnl_model_builder *b, const char *name,
                                        const char *expr, fnl_parse_error *err);
/** How account scores roll up (fnl_rollup); top_n (1..FNL_MODEL_MAX_TOP_N)
 *  is used by FNL_ROLLUP_TOP only and must be 0 otherwise. */
FNL_API int fnl_model_builder_rollup(fnl_model_builder *b, uint32_t mode,
                                     uint32_t top_n);
/** When a contact counts as engaged for buying-group coverage: an
 *  expression as for thresholds.  Default: engagement > 0. */
FNL_API int fnl_model_builder_engaged(fnl_model_builder *b, const char *expr,
                                      fnl_parse_error *err);
/** The buying-group roles coverage is measured against: a mask of
 *  (1 << fnl_role) for roles 1..6.  Default: user, influencer, decision
 *  maker, economic buyer. */
FNL_API int fnl_model_builder_roles(fnl_model_builder *b, uint32_t role_mask);
/**
 * Check and compile.  On success *out owns the model and the builder is
 * spent: every later call on it but fnl_model_builder_free() is
 * FNL_EINVAL.  On failure the builder is unchanged.
 * Errors: FNL_EINVAL (grades or bands out of order; spent builder),
 * FNL_ELIMIT (per-contact state larger than 64 KiB), FNL_ENOMEM.
 */
FNL_API int fnl_model_builder_finish(fnl_model_builder *b, fnl_model **out);

/* ------------------------------------------------------------------------
 * Scoring one contact (standalone: no engine needed)
 * ------------------------------------------------------------------------ */

/** A contact's score under one model at one time. */
typedef struct fnl_score_result {
    uint32_t size;
    int64_t time;            /* the time it was evaluated at */
    double fit;
    double engagement;       /* decayed to `time` */
    double total;            /* fit + engagement */
    char grade[4];           /* "A".."D" */
    uint32_t band;           /* 1..4 */
    char cell[4];            /* "A1".."D4" */
    uint64_t key_events;     /* bit i: key event i has fired (by `time`) */
    uint32_t firings;        /* key-event firings so far (saturates) */
    uint64_t thresholds;     /* bit i: threshold i holds */
} fnl_score_result;

#define FNL_SCORE_RESULT_INIT \
    { sizeof(fnl_score_result), 0, 0.0, 0.0, 0.0, { 0 }, 0, { 0 }, 0, 0, 0 }
/** Reset *r (of `size` bytes) to FNL_SCORE_RESULT_INIT. */
FNL_API int fnl_score_result_init(fnl_score_result *r, size_t size);

/**
 * Score a contact from scratch at time t: its profile `attrs` (names
 * compared ignoring ASCII case; when a name repeats, the first wins) and
 * its touches, in any order (sorted by time here, ties kept in array
 * order).  Touches later than t are ignored.  touches is an array of
 * fnl_touch_info whose element size is elem_size (>= the size of the
 * fnl_touch_info of the first release); only time, the dimension strings
 * and value are read.  Free-mail tests use the built-in list.
 * Errors: FNL_EINVAL (NULL model or out, NULL array with a non-zero count,
 * t outside [FNL_TIME_MIN, FNL_TIME_MAX], bad elem_size), FNL_ENOMEM
 * (scratch memory, from the model's allocator).
 */
FNL_API int fnl_model_score(const fnl_model *model, const fnl_attr *attrs,
                            size_t attr_count, const fnl_touch_info *touches,
                            size_t elem_size, size_t touch_count, int64_t t,
                            fnl_score_result *out);

/** Rule kinds in an explanation. */
typedef enum fnl_rule_kind {
    FNL_RULE_FIT = 1,
    FNL_RULE_ENGAGE = 2,
    FNL_RULE_KEY_EVENT = 3
} fnl_rule_kind;

/** One rule's part of a score. */
typedef struct fnl_score_row {
    uint32_t kind;           /* fnl_rule_kind */
    uint32_t index;          /* 0-based within its kind */
    const char *rule;        /* the rule's canonical text line (borrowed) */
    double points;           /* per match / occurrence / firing */
    uint64_t matched;        /* touches that matched (fit: 0 or 1) */
    uint64_t counted;        /* occurrences counted (after windows) or
                                firings */
    double raw;              /* points earned, before decay (after caps) */
    double value;            /* decayed contribution at t */
} fnl_score_row;

/**
 * Explain a score: one row per rule of the model (fit rules, then
 * engagement rules, then key events, each in definition order), for the
 * same input as fnl_model_score().  The rows' values sum to the total up
 * to rounding (docs/scoring.md, "Accuracy").  A copy-out reader: writes at
 * most cap rows and the number of rows to *count; when cap is too small,
 * writes nothing and returns FNL_ERANGE.  rows may be NULL when cap is 0.
 * Errors: as fnl_model_score(), plus FNL_ERANGE.
 */
FNL_API int fnl_model_explain(const fnl_model *model, const fnl_attr *attrs,
                              size_t attr_count, const fnl_touch_info *touches,
                              size_t elem_size, size_t touch_count, int64_t t,
                              fnl_score_row *rows, size_t cap, size_t *count);

/** One key-event firing. */
typedef struct fnl_key_event_fire {
    uint32_t event;          /* index of the key event */
    const char *name;        /* its name, borrowed from the model */
    int64_t time;            /* the time of the touch that fired it */
} fnl_key_event_fire;

/**
 * Every key-event firing of a timeline up to time t, in time order: a
 * copy-out reader as fnl_model_explain().
 */
FNL_API int fnl_model_key_event_history(const fnl_model *model,
                                        const fnl_touch_info *touches,
                                        size_t elem_size, size_t touch_count,
                                        int64_t t, fnl_key_event_fire *out,
                                        size_t cap, size_t *count);

/** Whether threshold `index` holds for a result of this model: *out 1/0.
 *  FNL_EINVAL on NULL, FNL_ENOTFOUND for a bad index. */
FNL_API int fnl_model_threshold_eval(const fnl_model *model, uint32_t index,
                                     const fnl_score_result *r, int *out);

/* ------------------------------------------------------------------------
 * Score expressions (guards for a stage machine)
 * ------------------------------------------------------------------------ */

typedef struct fnl_score_expr fnl_score_expr;

/**
 * Parse an expression (docs/scoring.md, "Expressions").  model may be
 * NULL; key_event terms then are errors.  The expression keeps no pointer
 * to the model, but key-event bits refer to its numbering.  *out is freed
 * with fnl_score_expr_free().  err may be NULL.
 * Errors: FNL_EINVAL (see *err), FNL_EVERSION, FNL_ENOMEM.
 */
FNL_API int fnl_score_expr_parse(fnl_score_expr **out, const char *text,
                                 size_t len, const fnl_model *model,
                                 const fnl_allocator *alloc,
                                 fnl_parse_error *err);
/** Evaluate against a result: *out is 1 or 0.  FNL_EINVAL on NULL. */
FNL_API int fnl_score_expr_eval(const fnl_score_expr *expr,
                                const fnl_score_result *r, int *out);
/** Free an expression.  NULL is a no-op. */
FNL_API void fnl_score_expr_free(fnl_score_expr *expr);

/* ------------------------------------------------------------------------
 * Account scores
 * ------------------------------------------------------------------------ */

/** A contact of an account: its score result (same model) and role. */
typedef struct fnl_account_member {
    const fnl_score_result *score;
    uint32_t role;           /* fnl_role */
} fnl_account_member;

typedef struct fnl_account_score {
    uint32_t size;
    double score;            /* the roll-up of the members' totals */
    uint32_t contacts;       /* members given */
    uint32_t engaged;        /* members that count as engaged */
    uint32_t roles_engaged;  /* mask of 1 << role over engaged members */
    uint32_t roles_required; /* the model's role mask */
    uint32_t roles_covered;  /* required roles with an engaged member */
    double coverage;         /* roles_covered / required roles (0..1) */
} fnl_account_score;

#define FNL_ACCOUNT_SCORE_INIT \
    { sizeof(fnl_account_score), 0.0, 0, 0, 0, 0, 0, 0.0 }
/** Reset *s (of `size` bytes) to FNL_ACCOUNT_SCORE_INIT. */
FNL_API int fnl_account_score_init(fnl_account_score *s, size_t size);

/**
 * Roll an account's members up as the model says (sum, max or top-N
 * mean of totals; top-N averages over min(N, members)) and measure
 * buying-group coverage.  members may be NULL when count is 0 (score 0).
 * Errors: FNL_EINVAL (NULL model or out, a NULL member score, a role
 * outside 0..6).
 */
FNL_API int fnl_model_account_score(const fnl_model *model,
                                    const fnl_account_member *members,
                                    size_t count, fnl_account_score *out);

/* ------------------------------------------------------------------------
 * Scoring models attached to an engine
 *
 * Each attached model keeps a score per contact, updated as touches and
 * profile updates arrive (O(1) per touch in time order; a touch that
 * arrives out of order, a merge or a profile change rescore that contact
 * from its timeline).  Key events fire FNL_EVENT_KEY_EVENT.  Models are
 * journaled (as their text) and snapshotted, so they survive a restart.
 * ------------------------------------------------------------------------ */

/** Most models attached to one engine at once. */
#define FNL_MAX_MODELS 16

/**
 * Attach a copy of `model` (replacing an attached model of the same name),
 * scoring every contact with it before anything changes.  progress may be
 * NULL; if it cancels, FNL_ECANCELED is returned and the previous scores
 * (and the previous model of that name) stand.  The caller keeps `model`.
 * Errors: FNL_EINVAL, FNL_ELIMIT (FNL_MAX_MODELS attached), FNL_ECANCELED,
 * FNL_ENOMEM, FNL_EIO, FNL_EBUSY.
 */
FNL_API int fnl_engine_attach_model(fnl_engine *engine, const fnl_model *model,
                                    const fnl_progress *progress);
/** Detach the model of that name.  FNL_ENOTFOUND if none is attached. */
FNL_API int fnl_engine_detach_model(fnl_engine *engine, const char *name);
/** The attached model at `index` (0-based, in attach order); borrowed
 *  until it is detached or replaced.  FNL_ENOTFOUND past the end. */
FNL_API int fnl_engine_model(const fnl_engine *engine, size_t index,
                             const fnl_model **out);

/**
 * A contact's score under an attached model (NULL: the first attached) at
 * time t (FNL_TIME_NOW: the engine clock's now), into *out whose size the
 * caller set.  Identity keys count as attributes of their kind's name for
 * fit rules (e.g. "email freemail"), unless an attribute of that name
 * exists.  Errors: FNL_ENOTFOUND (contact or model), FNL_ESTALE,
 * FNL_EINVAL, FNL_ENOMEM (rescoring a contact that needed it).
 */
FNL_API int fnl_contact_score(const fnl_engine *engine, fnl_contact_id id,
                              const char *model, int64_t t,
                              fnl_score_result *out);

/** Why a contact scores what it does: one row per rule (copy-out reader,
 *  see fnl_contact_keys, and fnl_model_explain for the rows). */
FNL_API int fnl_contact_explain(const fnl_engine *engine, fnl_contact_id id,
                                const char *model, int64_t t,
                                fnl_score_row *rows, size_t cap,
                                size_t *count);

/** An account's roll-up of its contacts' scores and buying-group coverage
 *  under an attached model (see fnl_model_account_score). */
FNL_API int fnl_account_score_get(const fnl_engine *engine, fnl_account_id id,
                                  const char *model, int64_t t,
                                  fnl_account_score *out);

/* ------------------------------------------------------------------------
 * Attribution over the engine's data (docs/attribution.md)
 * over the engine's own data and for serialised partials.  The lead moves
 * them into include/funnelcore.h, at the end of its Attribution section
 * (after fnl_attribution_partial_finish); until then the library's sources
 * and tests include this file.  Exact definitions: docs/attribution.md,
 * "Attribution over the engine" and "Serialised partials".
 * ------------------------------------------------------------------------ */

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
    /** A contact's first entry into the lifecycle stage opts->stage of
     *  the attached machine (entered, or passed through on the way to a
     *  later funnel stage): value 0, conversion time = that entry.  Each
     *  contact converts at most once; contacts merged away count for
     *  their survivor with the earliest entry of either. */
    FNL_CONVERSION_STAGE_ENTRY = 3
} fnl_conversion_kind;

/** Whose touches make a conversion's journey.  Values are stable. */
typedef enum fnl_journey_scope {
    /** The buying group: the deal's contacts plus every contact of the
     *  deal's account (of its contacts' accounts when the deal has none);
     *  for a stage entry, the contact plus every contact of its account. */
    FNL_SCOPE_ACCOUNT = 0,
    /** The deal's contacts only; for a stage entry, the contact only. */
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
 *  an account.  The window ends at the unit's last (not excluded) touch.
 *  Deal conversions only (FNL_EINVAL with FNL_CONVERSION_STAGE_ENTRY). */
#define FNL_NONCONV_NO_DEAL 2u
/** Touched units that never entered the stage (FNL_CONVERSION_STAGE_ENTRY
 *  only, FNL_EINVAL otherwise): in contact scope every such contact; in
 *  account scope every account none of whose contacts entered it (its
 *  contacts' touches together) and every such contact without an
 *  account.  The window ends at the unit's last (not excluded) touch. */
#define FNL_NONCONV_NOT_ENTERED 4u

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
     *  must have the same currency (FNL_EINVAL otherwise).  Stage entries
     *  carry no money: there it is checked but selects nothing. */
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
    /** FNL_CONVERSION_STAGE_ENTRY: the name of a stage of the attached
     *  machine (ASCII case ignored); required there, else unused. */
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
/** Reset *stats (of `size` bytes) to FNL_ENGINE_ATTRIBUTION_STATS_INIT. */
FNL_API int fnl_engine_attribution_stats_init(
    fnl_engine_attribution_stats *stats, size_t size);

/**
 * Build the engine's journeys (opts NULL: defaults) into a new set of
 * journeys with touch times, conversion times and the W/Z marker indices
 * (lead creation: the first touch of a lead type, else the first touch;
 * opportunity creation: the last touch at or before the deal's created
 * time, none if there is none or the conversion is a stage entry; close:
 * won deals only, the last touch).  Converting journeys have 1 conversion
 * and the deal amount (0 for a stage entry) as value; non-converting ones
 * 1 null.  stats (may be NULL; its size set) is filled.  Free *out with
 * fnl_journeys_free().
 * Errors: FNL_EINVAL (bad options, mixed currencies without a currency
 * filter: fnl_errmsg() names two, a stage entry without opts->stage),
 * FNL_ENOTFOUND (stage entry: no machine attached, or it has no stage of
 * that name: fnl_errmsg() names it), FNL_ELIMIT (a journey over FNL_ATTR_MAX_TOUCHES, an amount over
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

/* ------------------------------------------------------------------------
 * Paths CSV straight into a partial (no fnl_journeys in between: the
 * fast road for big files, and what `funnelcore attribute --paths` needs:
 * partial_new with the model's bit, read_partial, partial_finish).
 * ------------------------------------------------------------------------ */

/**
 * Parse a paths CSV (format of fnl_paths_parse) and accumulate every row
 * into `partial`.  Values are kept with the partial's value_decimals
 * (opts->value_decimals is not used); opts NULL: defaults; err may be
 * NULL.  All or nothing: on error the partial is as before.
 * Errors: as fnl_paths_parse(), plus FNL_EINVAL for time decay (paths
 * carry no times).
 */
FNL_API int fnl_paths_parse_partial(fnl_attribution_partial *partial,
                                    const char *buf, size_t len,
                                    const fnl_paths_options *opts,
                                    fnl_paths_error *err);
/** The same from a file (mapped into memory when possible).  FNL_EIO if
 *  it cannot be opened or read, with a message as fnl_paths_read(). */
FNL_API int fnl_paths_read_partial(fnl_attribution_partial *partial,
                                   const char *filename,
                                   const fnl_paths_options *opts,
                                   fnl_paths_error *err);

/* ------------------------------------------------------------------------
 * ROI and funnel reports (formulas: docs/roi.md; JSON schemas: docs/reports.md)
 * report_api.h -- DRAFT public API of the ROI math and report module
 * (issue 7).  Written in funnelcore.h's style so that the lead can move it
 * into include/funnelcore.h unchanged; until then library code and tests
 * include it after funnelcore.h.
 *
 * Everything here is read-only analytics: a report reads the engine (or
 * only the caller's arrays) and gives an immutable fnl_report that owns
 * its memory.  A report never changes the engine: not its stores, not its
 * memory counters, not its scratch space.  Only fnl_errmsg(engine) is
 * written, as for every call.
 *
 * Formulas: docs/roi.md.  JSON and CSV schemas: docs/reports.md.
 *
 * Copyright (c) 2026 the funnelcore authors.  MIT licence.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Periods (UTC calendar)
 *
 * Weeks are ISO weeks (Monday 00:00 UTC); quarters start in January,
 * April, July and October.  FNL_PERIOD_ALL is one bucket covering a whole
 * range; FNL_PERIOD_CUSTOM takes bucket boundaries from the request.
 * ------------------------------------------------------------------------ */

typedef enum fnl_period_kind {
    FNL_PERIOD_ALL = 0,
    FNL_PERIOD_DAY = 1,
    FNL_PERIOD_WEEK = 2,
    FNL_PERIOD_MONTH = 3,
    FNL_PERIOD_QUARTER = 4,
    FNL_PERIOD_YEAR = 5,
    FNL_PERIOD_CUSTOM = 6
} fnl_period_kind;

/** "all", "day", "week", "month", "quarter", "year", "custom"; NULL for an
 *  unknown kind.  Static string. */
FNL_API const char *fnl_period_name(uint32_t kind);

/**
 * The start of the calendar period (DAY..YEAR) that contains t.
 * Errors: FNL_EINVAL (NULL out, t outside [FNL_TIME_MIN, FNL_TIME_MAX],
 * kind not DAY..YEAR).
 */
FNL_API int fnl_period_floor(uint32_t kind, int64_t t, int64_t *out);

/**
 * The start of the period after the one that contains t (DAY..YEAR).
 * Errors: FNL_EINVAL as fnl_period_floor(); FNL_ERANGE past year 9999.
 */
FNL_API int fnl_period_next(uint32_t kind, int64_t t, int64_t *out);

/**
 * A label for the period (DAY..YEAR) that contains t, NUL-terminated:
 * "2024-03-05", "2024-W10" (ISO week-year), "2024-03", "2024-Q1", "2024".
 * zstd-style buffer: writes when cap is large enough, else FNL_ERANGE;
 * *needed (may be NULL) always receives the size with the NUL.
 */
FNL_API int fnl_period_label(uint32_t kind, int64_t t, char *buf, size_t cap,
                             size_t *needed);

/**
 * Prorate an amount spent over [start, end) onto the slices cut by
 * `cuts` (ncuts strictly increasing times): slice 0 is everything before
 * cuts[0], slice i is [cuts[i-1], cuts[i]), slice ncuts is from
 * cuts[ncuts-1] on.  out receives ncuts + 1 amounts.  Each slice's exact
 * share is amount x (milliseconds of overlap) / (end - start); shares are
 * rounded down and the units left over go one each to the slices with the
 * largest remainders (ties: the earlier slice), so out sums to amount
 * exactly.  Proration is by milliseconds; a cost given on whole UTC days
 * is therefore prorated by whole days exactly.
 * Errors: FNL_EINVAL (NULL, end <= start, amount < 0, cuts not strictly
 * increasing).
 */
FNL_API int fnl_prorate(int64_t amount, int64_t start, int64_t end,
                        const int64_t *cuts, size_t ncuts, int64_t *out);

/* ------------------------------------------------------------------------
 * Currency rates
 *
 * A table of exchange rates supplied by the host, each valid for a time
 * range.  Rates are in major units: rate 1.08 from EUR to USD means one
 * euro buys 1.08 dollars.  Minor-unit digits come from ISO 4217 (JPY 0,
 * KWD 3, most 2: docs/roi.md lists them).  A conversion uses the rate of
 * the pair (from, to) valid at the given time, else the inverse of the
 * pair (to, from); there is no triangulation through a third currency.
 * ------------------------------------------------------------------------ */

typedef struct fnl_fx fnl_fx;

/** A new, empty rate table; allocator NULL: libc (copied).  Free with
 *  fnl_fx_free().  Errors: FNL_EINVAL, FNL_EVERSION, FNL_ENOMEM. */
FNL_API int fnl_fx_new(fnl_fx **out, const fnl_allocator *allocator);
/** Free a rate table.  NULL is a no-op. */
FNL_API void fnl_fx_free(fnl_fx *fx);

/**
 * Add the rate of `from` into `to` valid over [start, end) (end 0: until
 * FNL_TIME_MAX).  Codes are ISO 4217, any case.
 * Errors: FNL_EINVAL (bad code, from == to, rate not finite and > 0, bad
 * range), FNL_EEXIST (the range overlaps a rate of the same pair),
 * FNL_ENOMEM.  On error the table is unchanged.
 */
FNL_API int fnl_fx_add(fnl_fx *fx, const char *from, const char *to,
                       double rate, int64_t start, int64_t end);

/**
 * Convert `amount` minor units of `from` into minor units of `to` at time
 * t: amount x rate x 10^(digits(to) - digits(from)), rounded half away
 * from zero.  Same currency: unchanged.  fx may be NULL (then only the
 * same currency converts).
 * Errors: FNL_EINVAL (bad code, NULL out), FNL_ENOTFOUND (no rate at t),
 * FNL_ERANGE (result outside int64).
 */
FNL_API int fnl_fx_convert(const fnl_fx *fx, int64_t amount, const char *from,
                           const char *to, int64_t t, int64_t *out);

/** Minor-unit digits of an ISO 4217 code (2 unless listed in docs/roi.md),
 *  or -1 for a malformed code. */
FNL_API int fnl_currency_digits(const char *code);

/* ------------------------------------------------------------------------
 * Reports: immutable tables
 *
 * Every report is a table: named, typed columns; rows; optionally a totals
 * row; and a list of named summary values (the request's parameters and
 * scalar results).  A cell is null when its value is undefined (a ratio
 * with a zero denominator, a median of nothing): the JSON rendering then
 * writes null, never a non-finite number.  Money columns hold minor units
 * of the report's currency.  Strings read from a report are borrowed from
 * it: valid until fnl_report_free().  A report is immutable, so several
 * threads may read one report at once.
 * ------------------------------------------------------------------------ */

typedef struct fnl_report fnl_report;

typedef enum fnl_report_kind {
    FNL_REPORT_ROI = 1,      /* fnl_report_roi() */
    FNL_REPORT_SPEND = 2,    /* fnl_report_spend() */
    FNL_REPORT_DEALS = 3,    /* fnl_report_deals(): funnel and velocity */
    FNL_REPORT_COHORT = 4,   /* fnl_report_cohort() */
    FNL_REPORT_SURVIVAL = 5, /* fnl_survival_km(),
                                fnl_report_time_to_convert() */
    FNL_REPORT_BUDGET = 6,   /* fnl_budget_allocate() */
    FNL_REPORT_STAGE_FUNNEL = 7, /* fnl_report_stage_funnel() */
    FNL_REPORT_STAGE_COHORT = 8, /* fnl_report_stage_cohort() */
    FNL_REPORT_STAGE_TIME_TO_CONVERT = 9, /* fnl_report_stage_time_to_
                                             convert() */
    FNL_REPORT_REJECTIONS = 10   /* fnl_report_rejections() */
} fnl_report_kind;

/** Cell types.  Values are stable. */
typedef enum fnl_value_type {
    FNL_VALUE_NULL = 0,
    FNL_VALUE_STRING = 1,
    FNL_VALUE_INT = 2,    /* int64: counts, money (minor units), times (ms) */
    FNL_VALUE_NUMBER = 3, /* double, always finite */
    FNL_VALUE_BOOL = 4    /* i is 0 or 1 */
} fnl_value_type;

/** What a column measures.  Values are stable. */
typedef enum fnl_unit {
    FNL_UNIT_LABEL = 0,  /* a group key or a name */
    FNL_UNIT_COUNT = 1,  /* a count (INT) or a credited count (NUMBER) */
    FNL_UNIT_MONEY = 2,  /* minor units of the report's currency (INT) */
    FNL_UNIT_RATIO = 3,  /* a plain ratio: 0.25 is 25 % (NUMBER) */
    FNL_UNIT_DAYS = 4,   /* a duration in days (NUMBER or INT) */
    FNL_UNIT_TIME = 5,   /* ms since the epoch, UTC (INT) */
    FNL_UNIT_FLAG = 6    /* a benchmark flag (BOOL) */
} fnl_unit;

/** "roi", "spend", "deals", "cohort", "survival", "budget",
 *  "stage_funnel", "stage_cohort", "stage_time_to_convert", "rejections",
 *  or NULL. */
FNL_API const char *fnl_report_kind_name(uint32_t kind);

/** Free a report.  NULL is a no-op. */
FNL_API void fnl_report_free(fnl_report *report);

typedef struct fnl_report_info {
    uint32_t size;
    uint32_t kind;           /* fnl_report_kind */
    const char *name;        /* fnl_report_kind_name(kind) */
    char currency[4];        /* of money columns; "" when none */
    uint64_t row_count;
    uint32_t column_count;
    uint32_t summary_count;
    uint32_t has_totals;     /* 1: a totals row (row FNL_REPORT_TOTALS) */
} fnl_report_info;

#define FNL_REPORT_INFO_INIT \
    { sizeof(fnl_report_info), 0, NULL, { 0 }, 0, 0, 0, 0 }
/** Reset *info (of `size` bytes) to FNL_REPORT_INFO_INIT. */
FNL_API int fnl_report_info_init(fnl_report_info *info, size_t size);
/** Fill *out (whose size the caller set).  FNL_EINVAL on NULL. */
FNL_API int fnl_report_get_info(const fnl_report *report,
                                fnl_report_info *out);

typedef struct fnl_report_column {
    uint32_t size;
    const char *name;        /* snake_case, borrowed */
    uint32_t type;           /* fnl_value_type of its non-null cells */
    uint32_t unit;           /* fnl_unit */
} fnl_report_column;

#define FNL_REPORT_COLUMN_INIT { sizeof(fnl_report_column), NULL, 0, 0 }
/** Reset *col (of `size` bytes) to FNL_REPORT_COLUMN_INIT. */
FNL_API int fnl_report_column_init(fnl_report_column *col, size_t size);

/** Column `index`.  FNL_ENOTFOUND past the end; FNL_EINVAL on NULL. */
FNL_API int fnl_report_column_get(const fnl_report *report, size_t index,
                                  fnl_report_column *out);
/** The index of the column named `name`; FNL_ENOTFOUND if none. */
FNL_API int fnl_report_column_find(const fnl_report *report, const char *name,
                                   size_t *index);

/** Number of rows (the totals row not counted).  0 for NULL. */
FNL_API size_t fnl_report_row_count(const fnl_report *report);

/** Pass as a row index to read the totals row. */
#define FNL_REPORT_TOTALS SIZE_MAX

/** One cell or summary value.  Fields not of its type are 0 / NULL. */
typedef struct fnl_report_value {
    uint32_t size;
    uint32_t type;           /* fnl_value_type */
    int64_t i;               /* INT, BOOL */
    double num;              /* NUMBER (INT cells also set it) */
    const char *str;         /* STRING, borrowed */
} fnl_report_value;

#define FNL_REPORT_VALUE_INIT { sizeof(fnl_report_value), 0, 0, 0, NULL }
/** Reset *v (of `size` bytes) to FNL_REPORT_VALUE_INIT. */
FNL_API int fnl_report_value_init(fnl_report_value *v, size_t size);

/**
 * The cell at (row, col); row FNL_REPORT_TOTALS reads the totals row.
 * Errors: FNL_EINVAL (NULL), FNL_ENOTFOUND (row or column out of range,
 * or no totals row).
 */
FNL_API int fnl_report_value_get(const fnl_report *report, size_t row,
                                 size_t col, fnl_report_value *out);

/**
 * Summary value `index`: *name (may be NULL) receives its borrowed name.
 * FNL_ENOTFOUND past the end.
 */
FNL_API int fnl_report_summary_get(const fnl_report *report, size_t index,
                                   const char **name, fnl_report_value *out);
/** The summary value named `name`; FNL_ENOTFOUND if none. */
FNL_API int fnl_report_summary_find(const fnl_report *report,
                                    const char *name, fnl_report_value *out);

/**
 * Render the report as one JSON object (schema: docs/reports.md), UTF-8,
 * NUL-terminated, no trailing newline.  zstd-style caller buffer: when cap
 * is at least the size needed, the text is written and FNL_OK returned;
 * otherwise nothing is written and FNL_ERANGE returned.  *needed (may be
 * NULL) always receives the size needed, NUL included, so
 * fnl_report_json(r, NULL, 0, &n) sizes a buffer.  The output of one
 * report is always byte for byte the same.
 * Errors: FNL_EINVAL (NULL report, buf NULL with cap > 0), FNL_ERANGE.
 */
FNL_API int fnl_report_json(const fnl_report *report, char *buf, size_t cap,
                            size_t *needed);

/**
 * Render the rows as CSV (RFC 4180: a header row of column names, then one
 * line per row, LF line ends, fields quoted when they hold a comma, quote
 * or line break; null cells are empty; totals and summary are not
 * included).  Buffer contract as fnl_report_json().
 */
FNL_API int fnl_report_csv(const fnl_report *report, char *buf, size_t cap,
                           size_t *needed);

/* ------------------------------------------------------------------------
 * ROI by channel, campaign or region
 * ------------------------------------------------------------------------ */

/** Cost dimension an ROI or spend report groups by.  Values are stable. */
typedef enum fnl_cost_group {
    FNL_BY_CHANNEL = 1,
    FNL_BY_CAMPAIGN = 2,
    FNL_BY_REGION = 3
} fnl_cost_group;

/**
 * Funnel counts of one group, supplied by the caller (or use the
 * request's leads / mqls / sqls attributions over the stage machine's
 * entries).  Counts may be fractional (attributed credit); a negative
 * count means "unknown" (its ratios are null).  A group listed twice adds
 * up.  A count >= 0 overrides the attribution's for its group and stage.
 */
typedef struct fnl_stage_counts {
    const char *group;
    double leads;
    double mqls;
    double sqls;
    double opportunities;  /* >= 0 overrides the pipeline attribution's */
    double customers;      /* >= 0 overrides the revenue attribution's */
} fnl_stage_counts;

/**
 * What fnl_report_roi() reads.  Spend comes from the engine's cost records
 * (if an engine is given) plus `costs`; revenue and customers from the
 * revenue attribution (row value and conversions), pipeline and
 * opportunities from the pipeline attribution, leads, MQLs and SQLs from
 * the leads / mqls / sqls attributions (row conversions) or stage_counts,
 * whose row keys must be the group keys (channels, campaigns or regions).
 */
typedef struct fnl_roi_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_cost_group; default CHANNEL */
    /** Spend in [from, to) (costs prorated by fnl_prorate()); from = to =
     *  0: all spend. */
    int64_t from;
    int64_t to;
    const char *region;          /* only costs of this region; NULL: all */
    const char *currency;        /* report currency; NULL: "USD" */
    const fnl_fx *fx;            /* NULL: every amount must be in currency */
    const fnl_attribution *revenue;   /* may be NULL */
    const fnl_attribution *pipeline;  /* may be NULL */
    /** Minor units per unit of attribution value; 0: 10^digits(currency),
     *  i.e. attribution values are major units of the report currency. */
    double value_scale;
    const fnl_stage_counts *stage_counts;
    size_t stage_count_count;
    /** Extra cost records (array of fnl_cost with element size
     *  costs[0].size), read as if they were in the engine. */
    const fnl_cost *costs;
    size_t cost_count;
    /** Flag groups whose revenue / cost is below this; <= 0: no flag. */
    double benchmark_revenue_to_cost;
    const fnl_allocator *allocator;   /* NULL: the engine's, else libc */
    /** Funnel counts from attribution (e.g. fnl_engine_attribute() with
     *  FNL_CONVERSION_STAGE_ENTRY into the lead, MQL and SQL stages): a
     *  group's leads / mqls / sqls are the credited conversions of the
     *  row whose key is the group (fractional allowed; 0 for a group
     *  without a row).  Each may be NULL.  A stage_counts value >= 0 for
     *  the same group and stage takes precedence over the attribution's;
     *  a negative one falls back to it. */
    const fnl_attribution *leads;
    const fnl_attribution *mqls;
    const fnl_attribution *sqls;
} fnl_roi_request;

#define FNL_ROI_REQUEST_INIT                                                 \
    { sizeof(fnl_roi_request), FNL_BY_CHANNEL, 0, 0, NULL, NULL, NULL, NULL, \
      NULL, 0.0, NULL, 0, NULL, 0, 0.0, NULL, NULL, NULL, NULL }
/** Reset *req (of `size` bytes) to FNL_ROI_REQUEST_INIT. */
FNL_API int fnl_roi_request_init(fnl_roi_request *req, size_t size);

/**
 * ROI per group: cost, revenue, pipeline, funnel counts, ROI, revenue /
 * cost, ROAS, cost per lead / MQL / SQL / opportunity / customer, average
 * deal size, win rate, stage-to-stage rates (columns: docs/reports.md;
 * formulas: docs/roi.md).  One row per group seen in the costs, the
 * attributions or the stage counts, sorted bytewise, with costs that lack
 * the grouped dimension in a last row whose key is null; a totals row.
 * engine may be NULL (then only req->costs are read).  Free *out with
 * fnl_report_free().
 * Errors: FNL_EINVAL (bad request), FNL_ENOTFOUND (an amount needs an
 * exchange rate the table lacks: fnl_errmsg() names it), FNL_ERANGE (a sum
 * overflows), FNL_ENOMEM.  The engine is never changed.
 */
FNL_API int fnl_report_roi(const fnl_engine *engine,
                           const fnl_roi_request *req, fnl_report **out);

/** What fnl_report_spend() reads: costs bucketed by group and period. */
typedef struct fnl_spend_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_cost_group; default CHANNEL */
    uint32_t period;             /* fnl_period_kind; default MONTH */
    /** Buckets cover [from, to); from = to = 0: from the first cost's
     *  period to the last cost's. */
    int64_t from;
    int64_t to;
    /** FNL_PERIOD_CUSTOM: boundary_count >= 2 strictly increasing times;
     *  bucket i is [boundaries[i], boundaries[i+1]) (from/to ignored). */
    const int64_t *boundaries;
    size_t boundary_count;
    const char *region;
    const char *currency;
    const fnl_fx *fx;
    const fnl_cost *costs;
    size_t cost_count;
    const fnl_allocator *allocator;
} fnl_spend_request;

#define FNL_SPEND_REQUEST_INIT                                               \
    { sizeof(fnl_spend_request), FNL_BY_CHANNEL, FNL_PERIOD_MONTH, 0, 0,      \
      NULL, 0, NULL, NULL, NULL, NULL, 0, NULL }
/** Reset *req (of `size` bytes) to FNL_SPEND_REQUEST_INIT. */
FNL_API int fnl_spend_request_init(fnl_spend_request *req, size_t size);

/**
 * Spend per group and period: rows (group, period, period_start, cost),
 * sorted by group then period; every cost prorated over the buckets by
 * fnl_prorate() and converted at the rate valid at each bucket's start
 * (the cost's start when later).  Errors as fnl_report_roi(), plus
 * FNL_ELIMIT (more than 100,000 buckets).
 */
FNL_API int fnl_report_spend(const fnl_engine *engine,
                             const fnl_spend_request *req, fnl_report **out);

/* ------------------------------------------------------------------------
 * Funnel and velocity from deals
 *
 * Stage-history funnels come with the stage machine; until then reports
 * read the deals' status (open / won / lost), amounts and times.
 * ------------------------------------------------------------------------ */

/** How deals are grouped.  Values are stable. */
typedef enum fnl_deal_group {
    FNL_DEAL_BY_NONE = 0,         /* one row */
    FNL_DEAL_BY_OWNER = 1,
    FNL_DEAL_BY_STAGE = 2,
    FNL_DEAL_BY_ACCOUNT = 3,      /* the account's id */
    FNL_DEAL_BY_ACCOUNT_ATTR = 4, /* a string attribute of the account */
    FNL_DEAL_BY_CURRENCY = 5,     /* the deal's own currency */
    FNL_DEAL_BY_STATUS = 6,       /* "open", "won", "lost" */
    FNL_DEAL_BY_ATTR = 7,         /* a string attribute of the deal
                                     (group_attr: "product", "sector") */
    FNL_DEAL_BY_OWNER_ATTR = 8    /* a string attribute of the deal owner's
                                     record (group_attr: "manager") */
} fnl_deal_group;

/** Host-given win probability of open deals at a stage (like a CRM's
 *  stage probability): 0..1. */
typedef struct fnl_stage_probability {
    const char *stage;
    double probability;
} fnl_stage_probability;

typedef struct fnl_deal_report_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_deal_group */
    const char *group_attr;      /* the attribute's name for
                                    FNL_DEAL_BY_ACCOUNT_ATTR, _ATTR and
                                    _OWNER_ATTR */
    /** Deals created in [from, to); to = 0: no upper bound. */
    int64_t from;
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    const char *currency;        /* NULL: "USD" */
    const fnl_fx *fx;
    /** Forecast: open deals' win probability by stage (see docs/roi.md);
     *  stages not listed use the group's historical win rate. */
    const fnl_stage_probability *stage_probabilities;
    size_t stage_probability_count;
    /** Forecast only deals expected to close before this time; 0: all. */
    int64_t forecast_until;
    /** Benchmarks, flagged per row; negative: none. */
    double benchmark_win_rate;          /* flag win_rate below it */
    double benchmark_cycle_days;        /* flag median cycle above it */
    int64_t benchmark_deal_size;        /* flag average won deal below it */
    const fnl_allocator *allocator;     /* NULL: the engine's */
} fnl_deal_report_request;

#define FNL_DEAL_REPORT_REQUEST_INIT                                         \
    { sizeof(fnl_deal_report_request), FNL_DEAL_BY_NONE, NULL, 0, 0,          \
      FNL_TIME_NOW, NULL, NULL, NULL, 0, 0, -1.0, -1.0, -1, NULL }
/** Reset *req (of `size` bytes) to FNL_DEAL_REPORT_REQUEST_INIT. */
FNL_API int fnl_deal_report_request_init(fnl_deal_report_request *req,
                                         size_t size);

/**
 * Funnel and velocity per group: deals, open / won / lost counts, win
 * rate, won, lost and open (pipeline) amounts, average deal size, median
 * and p90 sales cycle of won deals in days, forecast of open deals, and
 * benchmark flags.  Rows sorted bytewise by key, deals without the key
 * last (key null); a totals row.  Attribute groupings read string
 * attributes only: a deal whose attribute is missing or a number (or, for
 * FNL_DEAL_BY_OWNER_ATTR, whose owner is unset or has no record) falls in
 * the null group.
 * Errors: FNL_EINVAL (unknown group_by; group_attr missing or not an
 * attribute name for the attribute groupings), FNL_ENOTFOUND (missing
 * exchange rate), FNL_ERANGE, FNL_ENOMEM.  The engine is never changed.
 */
FNL_API int fnl_report_deals(const fnl_engine *engine,
                             const fnl_deal_report_request *req,
                             fnl_report **out);

/* ------------------------------------------------------------------------
 * Cohorts
 * ------------------------------------------------------------------------ */

/** Most ages in one cohort report. */
#define FNL_COHORT_MAX_AGES 32

typedef struct fnl_cohort_request {
    uint32_t size;
    uint32_t period;             /* fnl_period_kind of the created time;
                                    default MONTH */
    int64_t from;                /* created in [from, to); 0, 0: all */
    int64_t to;
    const int64_t *boundaries;   /* FNL_PERIOD_CUSTOM, as for spend */
    size_t boundary_count;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    /** Ages in whole days (1..36500, increasing); NULL: 30, 60, 90, 180. */
    const uint32_t *ages;
    size_t age_count;
    const char *currency;
    const fnl_fx *fx;
    const fnl_allocator *allocator;
} fnl_cohort_request;

#define FNL_COHORT_REQUEST_INIT                                              \
    { sizeof(fnl_cohort_request), FNL_PERIOD_MONTH, 0, 0, NULL, 0,            \
      FNL_TIME_NOW, NULL, 0, NULL, NULL, NULL }
/** Reset *req (of `size` bytes) to FNL_COHORT_REQUEST_INIT. */
FNL_API int fnl_cohort_request_init(fnl_cohort_request *req, size_t size);

/**
 * Deals grouped by the period they were created in: size, won / lost /
 * open, won amount, win rate so far, and for each age A the share of the
 * cohort's deals at least A days old at as_of that were won within A days
 * (column won_within_<A>d; null when no deal is that old).  One row per
 * period from the first cohort to the last (empty periods included).
 * Errors: FNL_EINVAL, FNL_ELIMIT (over 100,000 periods), FNL_ENOTFOUND,
 * FNL_ERANGE, FNL_ENOMEM.
 */
FNL_API int fnl_report_cohort(const fnl_engine *engine,
                              const fnl_cohort_request *req,
                              fnl_report **out);

/* ------------------------------------------------------------------------
 * Time to convert (Kaplan-Meier)
 * ------------------------------------------------------------------------ */

typedef struct fnl_survival_request {
    uint32_t size;
    /** n observations: time from entry in days (finite, >= 0) and whether
     *  it ended in conversion (1) or was censored (0). */
    const double *days;
    const uint8_t *converted;
    size_t n;
    /** "Goes cold": window W in days (> 0) and probability threshold
     *  (0..1) of the conditional conversion 1 - S(d + W) / S(d). */
    double window_days;
    double cold_threshold;
    const fnl_allocator *allocator;
} fnl_survival_request;

#define FNL_SURVIVAL_REQUEST_INIT                                            \
    { sizeof(fnl_survival_request), NULL, NULL, 0, 30.0, 0.05, NULL }
/** Reset *req (of `size` bytes) to FNL_SURVIVAL_REQUEST_INIT. */
FNL_API int fnl_survival_request_init(fnl_survival_request *req, size_t size);

/**
 * The Kaplan-Meier estimate of "not converted yet": one row per distinct
 * time with at_risk, converted, censored, survival, conversion (1 - S),
 * hazard and Greenwood's standard error; summary n, conversions,
 * censored, median_days (null when S never reaches 0.5), cold_day.
 * Errors: FNL_EINVAL, FNL_ENOMEM.
 */
FNL_API int fnl_survival_km(const fnl_survival_request *req,
                            fnl_report **out);

typedef struct fnl_time_to_convert_request {
    uint32_t size;
    int64_t from;                /* deals created in [from, to); 0, 0 all */
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    double window_days;
    double cold_threshold;
    const fnl_allocator *allocator;
} fnl_time_to_convert_request;

#define FNL_TIME_TO_CONVERT_REQUEST_INIT                                     \
    { sizeof(fnl_time_to_convert_request), 0, 0, FNL_TIME_NOW, 30.0, 0.05,    \
      NULL }
/** Reset *req (of `size` bytes) to FNL_TIME_TO_CONVERT_REQUEST_INIT. */
FNL_API int fnl_time_to_convert_request_init(
    fnl_time_to_convert_request *req, size_t size);

/**
 * fnl_survival_km() over the engine's deals: entry = created, conversion
 * = won (at closed); lost deals are censored at their close time, open
 * deals at as_of (deals created after as_of are skipped).
 */
FNL_API int fnl_report_time_to_convert(
    const fnl_engine *engine, const fnl_time_to_convert_request *req,
    fnl_report **out);

/* ------------------------------------------------------------------------
 * Budget allocation
 * ------------------------------------------------------------------------ */

/** One budget line.  cap < 0: no cap. */
typedef struct fnl_budget_line {
    const char *name;
    double weight;       /* last period's contribution (or ROI): >= 0 */
    int64_t min;         /* >= 0 */
    int64_t cap;
} fnl_budget_line;

/** Most lines and phases. */
#define FNL_BUDGET_MAX_LINES 100000
#define FNL_BUDGET_MAX_PHASES 366

typedef struct fnl_budget_request {
    uint32_t size;
    int64_t total;                /* minor units, >= 0 */
    const char *currency;         /* NULL: "USD" */
    const fnl_budget_line *lines;
    size_t line_count;            /* 1..FNL_BUDGET_MAX_LINES */
    /** Phases per line: 0 means 4 (quarters q1..q4). */
    uint32_t phases;
    const double *phase_weights;  /* NULL: equal */
    const fnl_allocator *allocator;
} fnl_budget_request;

#define FNL_BUDGET_REQUEST_INIT \
    { sizeof(fnl_budget_request), 0, NULL, NULL, 0, 0, NULL, NULL }
/** Reset *req (of `size` bytes) to FNL_BUDGET_REQUEST_INIT. */
FNL_API int fnl_budget_request_init(fnl_budget_request *req, size_t size);

/**
 * Split `total` across lines top-down in proportion to weight, within
 * each line's [min, cap]: amount_i = clamp(lambda x weight_i, min_i,
 * cap_i) with lambda chosen so that the amounts sum to total (all weights
 * 0: equal weights), then rounded to minor units by largest remainder;
 * each line is phased the same way.  Amounts sum to total exactly, and
 * each line's phases sum to its amount exactly.
 * Errors: FNL_EINVAL (bad request), FNL_ERANGE (infeasible: sum of
 * minimums above total, or total above what the caps and weights can
 * take), FNL_ENOMEM.
 */
FNL_API int fnl_budget_allocate(const fnl_budget_request *req,
                                fnl_report **out);

/* ------------------------------------------------------------------------
 * Lifecycle stage machines (text format and semantics: docs/stages.md).
 * The machine, its text form and builder are public now; attaching one to
 * an engine (host events, ticks, routing, SLAs, nurture steps) comes next.
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
 * ------------------------------------------------------------------------ */

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
/** Reset *info (of `size` bytes) to FNL_STAGE_INFO_INIT. */
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
/** Reset *t (of `size` bytes) to FNL_TRANSITION_DEF_INIT. */
FNL_API int fnl_transition_def_init(fnl_transition_def *t, size_t size);
/** Add a transition (strings and the condition text are copied); *err,
 *  which may be NULL, says what is wrong.  Errors as the builder calls
 *  above: FNL_EINVAL (unknown stage, bad condition, spent builder),
 *  FNL_ELIMIT, FNL_ENOMEM. */
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
/** Reset *r (of `size` bytes) to FNL_ROUTE_DEF_INIT. */
FNL_API int fnl_route_def_init(fnl_route_def *r, size_t size);
/** Add a routing rule, tried after the stage's earlier rules.  Errors as
 *  fnl_machine_builder_transition(). */
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
/** Reset *s (of `size` bytes) to FNL_SLA_DEF_INIT. */
FNL_API int fnl_sla_def_init(fnl_sla_def *s, size_t size);
/** Add a service level to a stage (at most FNL_MACHINE_MAX_SLAS per
 *  stage).  Errors as fnl_machine_builder_transition(). */
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
/** Reset *s (of `size` bytes) to FNL_STEP_DEF_INIT. */
FNL_API int fnl_step_def_init(fnl_step_def *s, size_t size);
/** Add a nurture step.  Errors as fnl_machine_builder_transition(). */
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

/* ------------------------------------------------------------------------
 * Stage machines attached to an engine
 *
 * An engine runs at most one stage machine.  Every contact has a stage
 * state: new contacts enter the machine's initial stage, then touches,
 * profile updates, merges, host events (fnl_contact_event) and the clock
 * (fnl_engine_tick) move them as docs/stages.md describes; conditions
 * read the attached scoring models.  What happens is kept per contact as
 * history records.  The machine, host events and ticks are journaled and
 * the stage state is snapshotted, so a restart gives the same stages.
 * ------------------------------------------------------------------------ */

/**
 * Attach a copy of `machine` (built from its canonical text), replacing
 * the attached machine if there is one.  Every live contact enters the
 * machine's initial stage at the engine clock's now and is evaluated
 * there; a replaced machine's states, history and timers are dropped.
 * Everything is prepared before anything changes: on failure the engine
 * is unchanged.  The caller keeps `machine`.
 * Errors: FNL_EINVAL (NULL argument), FNL_ENOMEM, FNL_EIO (the journal
 * refused the record), FNL_EBUSY (called from a listener).
 */
FNL_API int fnl_engine_attach_machine(fnl_engine *engine,
                                      const fnl_machine *machine);

/**
 * The attached machine (borrowed: valid until the next mutating call),
 * e.g. to learn the stage names of an engine reopened from its storage.
 * Errors: FNL_EINVAL (NULL argument), FNL_ENOTFOUND (no machine
 * attached).
 */
FNL_API int fnl_engine_machine(const fnl_engine *engine,
                               const fnl_machine **out);

/**
 * A host event for a contact: "sales_accept", "sales_reject" (with a
 * reason), "opportunity_created", "deal_won", ... or any other [a-z0-9_]
 * name of 1..FNL_MAX_NAME bytes.  reason (NULL: none) is UTF-8 text kept
 * with the history records it causes.  time: FNL_TIME_NOW for the engine
 * clock.  Listeners get FNL_EVENT_STAGE_CHANGED and friends.
 * Errors: FNL_ENOTFOUND (no machine attached, or no such contact),
 * FNL_ESTALE, FNL_EINVAL, FNL_ENOMEM, FNL_EIO, FNL_EBUSY; on failure
 * nothing changes.
 */
FNL_API int fnl_contact_event(fnl_engine *engine, fnl_contact_id id,
                              const char *event, const char *reason,
                              int64_t time);

/**
 * Advance the stage clock to `now` (FNL_TIME_NOW: the engine clock): every
 * stage timer and nurture step due at or before now fires, in due order,
 * at its due time.  Journaled as "the clock reached now", so a replay
 * fires the same timers.  A time before the last tick fires nothing.
 * With no machine attached this does nothing and returns FNL_OK.
 * Errors: FNL_EINVAL, FNL_ENOMEM, FNL_EIO, FNL_EBUSY.
 */
FNL_API int fnl_engine_tick(fnl_engine *engine, int64_t now);

/** A contact's place in the attached machine. */
typedef struct fnl_stage_status {
    uint32_t size;
    uint32_t stage;       /* stage index in the machine */
    const char *name;     /* the stage's name, borrowed */
    int64_t entered;      /* when it was entered */
    const char *owner;    /* the stage owner, borrowed; NULL: none */
    uint64_t reached;     /* bit i: stage i was entered or passed */
    uint32_t reached_count; /* stages entered or passed */
    uint32_t unsubscribed;  /* 1: the contact unsubscribed */
    uint64_t history;     /* history records kept for the contact */
} fnl_stage_status;

#define FNL_STAGE_STATUS_INIT \
    { sizeof(fnl_stage_status), 0, NULL, 0, NULL, 0, 0, 0, 0 }
/** Fill *status from FNL_STAGE_STATUS_INIT for a caller whose struct has
 *  `size` bytes.  Errors: FNL_EINVAL. */
FNL_API int fnl_stage_status_init(fnl_stage_status *status, size_t size);

/**
 * Fill *out (whose size the caller set) for a contact (merged handles
 * follow to the survivor).  Strings are borrowed until the next mutating
 * call.  Errors: FNL_ENOTFOUND (no machine attached, or no such contact),
 * FNL_ESTALE, FNL_EINVAL.
 */
FNL_API int fnl_contact_stage(const fnl_engine *engine, fnl_contact_id id,
                              fnl_stage_status *out);

/** Kinds of stage history records (values stable). */
typedef enum fnl_stage_record_kind {
    FNL_STAGE_REC_TRANSITION = 1, /* from -> to */
    FNL_STAGE_REC_PASSED = 2,     /* `to` passed through (skipped) */
    FNL_STAGE_REC_ASSIGN = 3,     /* owner assigned (prev_owner before) */
    FNL_STAGE_REC_BREACH = 4      /* SLA `rule` of stage `from` breached */
} fnl_stage_record_kind;

/** What caused a record (values stable). */
typedef enum fnl_stage_cause {
    FNL_STAGE_CAUSE_START = 1,   /* the contact entered the machine */
    FNL_STAGE_CAUSE_TOUCH = 2,
    FNL_STAGE_CAUSE_PROFILE = 3,
    FNL_STAGE_CAUSE_SCORE = 4,
    FNL_STAGE_CAUSE_EVENT = 5,   /* a host event */
    FNL_STAGE_CAUSE_TIMER = 6,   /* time: idle, stay, an SLA deadline */
    FNL_STAGE_CAUSE_RECHECK = 7,
    FNL_STAGE_CAUSE_SLA = 32,    /* an SLA breach action */
    FNL_STAGE_CAUSE_MERGE = 33   /* two contacts merged */
} fnl_stage_cause;

/** One history record.  Strings are borrowed until the next mutating
 *  call. */
typedef struct fnl_stage_record {
    int64_t time;
    uint32_t kind;        /* fnl_stage_record_kind */
    uint32_t cause;       /* fnl_stage_cause */
    const char *from;     /* stage before; NULL at the start */
    const char *to;       /* stage after */
    uint32_t rule;        /* transition, route or SLA index; UINT32_MAX:
                             none (start, merge, fallback queue) */
    uint32_t back;        /* 1: a backward transition */
    const char *owner;    /* owner after (NULL: none) */
    const char *prev_owner; /* ASSIGN: owner before */
    const char *reason;   /* the host event's reason, NULL: none */
} fnl_stage_record;

/** A contact's stage history, oldest first (copy-out reader, see
 *  fnl_contact_keys).  Errors: FNL_ENOTFOUND, FNL_ESTALE, FNL_EINVAL,
 *  FNL_ERANGE. */
FNL_API int fnl_contact_stage_history(const fnl_engine *engine,
                                      fnl_contact_id id,
                                      fnl_stage_record *out, size_t cap,
                                      size_t *count);

/* ------------------------------------------------------------------------
 * Reports from the stage history (definitions: docs/reports.md, "Reports
 * from the stage history")
 *
 * Funnel, velocity, cohorts, time to convert, rejections and the funnel
 * counts ROI needs, read from the history records of the attached stage
 * machine.  The rules every one of them follows:
 *
 *   - A person counts once.  A contact merged away keeps its own history;
 *     its records are folded into its survivor's, so the person entered
 *     each stage at the earliest time either record says.  Forgotten
 *     contacts, and contacts that have no stage state, are not counted.
 *   - Entering a stage is a transition into it or a pass through it
 *     (passed-through stages, docs/stages.md), so a contact that skipped
 *     a stage still reached it.  The transition a merge writes is not an
 *     entry: the merged contact's own records tell when it got there.
 *   - Entries after as_of are ignored (FNL_TIME_NOW: the engine clock).
 *   - Groups: the channel or campaign of the contact's first touch (the
 *     earliest, then the first to arrive), its current stage owner, or a
 *     string attribute of the contact.  Contacts without the key form the
 *     null group, listed last; groups are sorted bytewise.
 *
 * Like every report these only read the engine (fnl_report_roi()).  With
 * no machine attached they fail with FNL_ENOTFOUND.  Stage names in
 * requests are looked up as fnl_machine_stage_find() does; a name the
 * machine lacks is FNL_EINVAL.
 * ------------------------------------------------------------------------ */

/** How stage reports group contacts.  Values are stable. */
typedef enum fnl_stage_group {
    FNL_STAGE_BY_NONE = 0,     /* one group, "all" */
    FNL_STAGE_BY_CHANNEL = 1,  /* channel of the first touch */
    FNL_STAGE_BY_CAMPAIGN = 2, /* campaign of the first touch */
    FNL_STAGE_BY_OWNER = 3,    /* the current stage owner (rejections: the
                                  owner who rejected) */
    FNL_STAGE_BY_ATTR = 4      /* a string attribute of the contact
                                  (group_attr: "region", "industry") */
} fnl_stage_group;

/** Which count a funnel count is (values stable): see
 *  fnl_report_stage_funnel(). */
typedef enum fnl_stage_view {
    FNL_STAGE_VIEW_CUMULATIVE = 0, /* the cohort that entered the funnel in
                                      [from, to), at every stage it reached
                                      by as_of */
    FNL_STAGE_VIEW_IN_PERIOD = 1   /* contacts with an entry into the stage
                                      in [from, to) */
} fnl_stage_view;

/**
 * A stage pair of a funnel report: the conversion from `from` to `to` is
 * reported, and flagged against the benchmark range [low, high] (ratios:
 * 0.15 is 15 %).  A negative bound is no bound; both negative: no
 * benchmark.  A pair whose `to` is the next funnel stage of `from` only
 * adds its benchmark to that stage's row.
 */
typedef struct fnl_stage_pair {
    const char *from;
    const char *to;
    double low;
    double high;
} fnl_stage_pair;

/** Most pairs in one request. */
#define FNL_STAGE_MAX_PAIRS 1024

typedef struct fnl_stage_funnel_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_stage_group; default NONE */
    const char *group_attr;      /* FNL_STAGE_BY_ATTR: its name */
    /** The period [from, to); to = 0: no upper bound (from = to = 0: all
     *  time). */
    int64_t from;
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    const fnl_stage_pair *pairs; /* extra conversions and benchmarks */
    size_t pair_count;           /* 0..FNL_STAGE_MAX_PAIRS */
    const fnl_allocator *allocator; /* NULL: the engine's */
} fnl_stage_funnel_request;

#define FNL_STAGE_FUNNEL_REQUEST_INIT                                        \
    { sizeof(fnl_stage_funnel_request), FNL_STAGE_BY_NONE, NULL, 0, 0,        \
      FNL_TIME_NOW, NULL, 0, NULL }
/** Reset *req (of `size` bytes) to FNL_STAGE_FUNNEL_REQUEST_INIT. */
FNL_API int fnl_stage_funnel_request_init(fnl_stage_funnel_request *req,
                                          size_t size);

/**
 * The lifecycle funnel per group: for every stage (funnel stages in rank
 * order, then side stages in definition order) one row with
 *   - `reached` (cumulative view): of the contacts that entered the funnel
 *     -- its first stage, entered or passed -- in [from, to), those that
 *     reached the stage by as_of.  A contact counts at every stage it
 *     reached, so funnel counts never increase down the funnel;
 *   - `entered` (in-period view): contacts with an entry into the stage
 *     in [from, to) (each counted once per stage, re-entries included);
 *   - the conversion to the next funnel stage (of the cohort that reached
 *     this stage, the share that then entered the next one), and its
 *     velocity: median and p90 days from first entering this stage to
 *     entering the next, over the converted contacts that entered this
 *     stage rather than passing it (a skipped stage takes no time);
 *   - benchmark bounds and flag ("below", "within", "above").
 * Each pair of the request whose `to` is not the next stage adds a row
 * after its `from` stage's row with the same measures for that pair.
 * Columns and JSON: docs/reports.md.  Free *out with fnl_report_free().
 * Errors: FNL_EINVAL (NULL argument, size not set, bad group_by,
 * group_attr, period or pair), FNL_ENOTFOUND (no machine attached, or a
 * stage the machine lacks: fnl_errmsg() names it), FNL_ENOMEM.  The
 * engine is never changed.
 */
FNL_API int fnl_report_stage_funnel(const fnl_engine *engine,
                                    const fnl_stage_funnel_request *req,
                                    fnl_report **out);

typedef struct fnl_stage_cohort_request {
    uint32_t size;
    const char *stage;           /* the stage whose entry makes the cohort;
                                    NULL: the first funnel stage */
    uint32_t period;             /* fnl_period_kind; default MONTH */
    int64_t from;                /* entered in [from, to); 0, 0: all */
    int64_t to;
    const int64_t *boundaries;   /* FNL_PERIOD_CUSTOM, as for spend */
    size_t boundary_count;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    /** Ages in whole days (1..36500, increasing, at most
     *  FNL_COHORT_MAX_AGES); NULL: 30, 60, 90, 180. */
    const uint32_t *ages;
    size_t age_count;
    /** Later stages to follow; NULL: every funnel stage ranked after
     *  `stage` (every funnel stage when `stage` is a side stage). */
    const char *const *targets;
    size_t target_count;
    const fnl_allocator *allocator;
} fnl_stage_cohort_request;

#define FNL_STAGE_COHORT_REQUEST_INIT                                        \
    { sizeof(fnl_stage_cohort_request), NULL, FNL_PERIOD_MONTH, 0, 0, NULL,   \
      0, FNL_TIME_NOW, NULL, 0, NULL, 0, NULL }
/** Reset *req (of `size` bytes) to FNL_STAGE_COHORT_REQUEST_INIT. */
FNL_API int fnl_stage_cohort_request_init(fnl_stage_cohort_request *req,
                                          size_t size);

/**
 * Contacts grouped by the period in which they first entered `stage`
 * (the shape of fnl_report_cohort()): per period the cohort size and, for
 * each target T, how many entered T after entering the stage (by as_of),
 * their share, and for each age A the share of the cohort's contacts at
 * least A days past their entry at as_of that entered T within A days
 * (null when none is that old).  One row per period from the first
 * cohort to the last, empty periods included; a totals row.
 * Errors: FNL_EINVAL, FNL_ELIMIT (over 100,000 periods), FNL_ENOTFOUND
 * (no machine attached, or a stage it lacks), FNL_ENOMEM.
 */
FNL_API int fnl_report_stage_cohort(const fnl_engine *engine,
                                    const fnl_stage_cohort_request *req,
                                    fnl_report **out);

typedef struct fnl_stage_time_to_convert_request {
    uint32_t size;
    const char *from_stage;      /* NULL: the first funnel stage */
    const char *to_stage;        /* required */
    int64_t from;                /* entered from_stage in [from, to);
                                    0, 0: all */
    int64_t to;
    int64_t as_of;               /* FNL_TIME_NOW: the engine clock */
    double window_days;          /* as for fnl_survival_km() */
    double cold_threshold;
    const fnl_allocator *allocator;
} fnl_stage_time_to_convert_request;

#define FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT                               \
    { sizeof(fnl_stage_time_to_convert_request), NULL, NULL, 0, 0,            \
      FNL_TIME_NOW, 30.0, 0.05, NULL }
/** Reset *req (of `size` bytes) to FNL_STAGE_TIME_TO_CONVERT_REQUEST_INIT. */
FNL_API int fnl_stage_time_to_convert_request_init(
    fnl_stage_time_to_convert_request *req, size_t size);

/**
 * fnl_survival_km() of "has not entered to_stage yet", from the first
 * entry into from_stage: conversion at the first entry into to_stage at
 * or after it.  A contact that, before converting, enters a side stage or
 * a closed stage (other than the two) has left the path: it is censored
 * at that entry, and a later return does not count.  Others are censored
 * at as_of.  Same table and summary as fnl_survival_km(), plus
 * from_stage, to_stage, from, to, as_of and `left` (contacts censored on
 * leaving).  Errors: FNL_EINVAL, FNL_ENOTFOUND (no machine attached, or
 * a stage it lacks), FNL_ENOMEM.
 */
FNL_API int fnl_report_stage_time_to_convert(
    const fnl_engine *engine, const fnl_stage_time_to_convert_request *req,
    fnl_report **out);

typedef struct fnl_rejection_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_stage_group; default CHANNEL */
    const char *group_attr;      /* FNL_STAGE_BY_ATTR: its name */
    int64_t from;                /* rejections at [from, to); to = 0: no
                                    upper bound */
    int64_t to;
    const fnl_allocator *allocator;
} fnl_rejection_request;

#define FNL_REJECTION_REQUEST_INIT \
    { sizeof(fnl_rejection_request), FNL_STAGE_BY_CHANNEL, NULL, 0, 0, NULL }
/** Reset *req (of `size` bytes) to FNL_REJECTION_REQUEST_INIT. */
FNL_API int fnl_rejection_request_init(fnl_rejection_request *req,
                                       size_t size);

/**
 * Sales rejections (transitions caused by the host event sales_reject)
 * counted per group and reason: rows (group, reason, rejections, share of
 * the group's rejections), groups sorted bytewise with the null group
 * last, reasons likewise with "no reason" (null) last; a totals row.
 * FNL_STAGE_BY_OWNER groups by the owner the contact had when it was
 * rejected (an owner set by the host or taken from the account is read as
 * it is now).  Errors: FNL_EINVAL, FNL_ENOTFOUND (no machine attached),
 * FNL_ENOMEM.
 */
FNL_API int fnl_report_rejections(const fnl_engine *engine,
                                  const fnl_rejection_request *req,
                                  fnl_report **out);

/**
 * What fnl_engine_stage_counts() counts: the stages that stand for leads,
 * MQLs, SQLs, opportunities and customers (NULL: not counted, the count is
 * -1, "unknown"), grouped as the funnel report groups.
 */
typedef struct fnl_stage_counts_request {
    uint32_t size;
    uint32_t group_by;           /* fnl_stage_group; default CHANNEL */
    const char *group_attr;      /* FNL_STAGE_BY_ATTR: "region", ... */
    uint32_t view;               /* fnl_stage_view; default CUMULATIVE */
    int64_t from;                /* as in fnl_stage_funnel_request */
    int64_t to;
    int64_t as_of;
    const char *lead_stage;         /* default "inquiry" */
    const char *mql_stage;          /* default "mql" */
    const char *sql_stage;          /* default "sql" */
    const char *opportunity_stage;  /* default NULL: leave to attribution */
    const char *customer_stage;     /* default NULL: leave to attribution */
    const fnl_allocator *allocator; /* NULL: the engine's */
} fnl_stage_counts_request;

#define FNL_STAGE_COUNTS_REQUEST_INIT                                        \
    { sizeof(fnl_stage_counts_request), FNL_STAGE_BY_CHANNEL, NULL,           \
      FNL_STAGE_VIEW_CUMULATIVE, 0, 0, FNL_TIME_NOW, "inquiry", "mql", "sql", \
      NULL, NULL, NULL }
/** Reset *req (of `size` bytes) to FNL_STAGE_COUNTS_REQUEST_INIT. */
FNL_API int fnl_stage_counts_request_init(fnl_stage_counts_request *req,
                                          size_t size);

/**
 * Funnel counts per group from the stage history, ready for
 * fnl_roi_request.stage_counts: one fnl_stage_counts per group (sorted
 * bytewise), counted in the chosen view exactly as the `reached`
 * (cumulative) or `entered` (in-period) column of
 * fnl_report_stage_funnel() counts them.  Contacts without the grouped
 * key are left out (fnl_roi_request refuses a NULL group); compare with
 * FNL_STAGE_BY_NONE (one group, "all") for the whole.
 *
 * Ownership: *out is one block holding the array and its group strings,
 * allocated from the request's allocator (NULL: the engine's) and owned
 * by the caller; it does not depend on the engine, and is freed, strings
 * included, with fnl_stage_counts_free().  With no group *out is NULL and
 * *count 0.  On failure neither is written.
 * Errors: FNL_EINVAL, FNL_ENOTFOUND (no machine attached, or a stage it
 * lacks), FNL_ENOMEM.
 */
FNL_API int fnl_engine_stage_counts(const fnl_engine *engine,
                                    const fnl_stage_counts_request *req,
                                    fnl_stage_counts **out, size_t *count);

/** Free what fnl_engine_stage_counts() returned.  NULL is a no-op. */
FNL_API void fnl_stage_counts_free(fnl_stage_counts *counts);

#ifdef __cplusplus
}
#endif

#endif /* FUNNELCORE_H */
