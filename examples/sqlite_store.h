/* sqlite_store.h -- an example host-owned funnelcore storage on SQLite.
 *
 * A complete fnl_storage over one SQLite database file, written as a
 * teaching example (docs/storage-sqlite.md): read sqlite_store.c to see
 * why each callback does what it does, and how to carry it over to
 * PostgreSQL or RocksDB.  It is not part of the library: copy it into your
 * application and adapt it.
 *
 *     fnl_storage *st;
 *     fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
 *     fnl_engine *e;
 *     if (sqlite_storage_open(&st, "/var/lib/app/funnel.db") != FNL_OK) ...
 *     cfg.storage = st;
 *     if (fnl_engine_open(&e, &cfg) != FNL_OK) ...
 *     ...
 *     fnl_engine_close(e);
 *     fnl_storage_close(st);      (after the engine)
 */
#ifndef FNL_EXAMPLE_SQLITE_STORE_H
#define FNL_EXAMPLE_SQLITE_STORE_H

#include <stddef.h>
#include <sqlite3.h>
#include "funnelcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of sqlite_storage_open_ex(); zero-initialise for the defaults. */
typedef struct sqlite_store_options {
    /** 0 (default): every append() is its own transaction, durable (on
     *  disk, fsynced) when it returns -- like the file store's
     *  FNL_SYNC_EVERY_RECORD.  N > 0: appends are grouped into one open
     *  transaction that sync() commits, or that append() commits once N
     *  records are pending; a crash (even of the process) loses the
     *  records appended since the last commit, never part of one. */
    unsigned batch_records;
    /** Bytes per snapshot chunk row; 0: 1 MiB. */
    size_t chunk_bytes;
} sqlite_store_options;

/**
 * Open (or create) the store in the SQLite database `path` with the
 * default options.  The database is locked against every other connection
 * (in this process or another) until fnl_storage_close().
 * Errors: FNL_EINVAL (NULL argument), FNL_EBUSY (the database is open
 * elsewhere), FNL_EVERSION (a newer schema), FNL_ECORRUPT (not a database,
 * or an inconsistent store), FNL_ENOMEM, FNL_EIO (anything else SQLite
 * refused).
 */
int sqlite_storage_open(fnl_storage **out, const char *path);

/** The same with options (NULL: defaults); when errbuf is not NULL a
 *  failed open writes its reason there (NUL-terminated, truncated). */
int sqlite_storage_open_ex(fnl_storage **out, const char *path,
                           const sqlite_store_options *opts, char *errbuf,
                           size_t errbuf_size);

/** The detail of the store's last failure, with SQLite's own message
 *  ("append: disk I/O error (SQLITE_IOERR_FSYNC, 1034)"), or "".  Borrowed
 *  until the next call on the storage.  "" for NULL or another storage. */
const char *sqlite_storage_errmsg(const fnl_storage *st);

/** The store's database connection, for a host that keeps its own tables
 *  in the same file or takes online backups (sqlite3_backup_*); the tests
 *  also use it to inject failures.  Do not touch the store's tables, and
 *  do not leave a transaction open.  NULL for another storage. */
sqlite3 *sqlite_storage_db(fnl_storage *st);

#ifdef __cplusplus
}
#endif

#endif
