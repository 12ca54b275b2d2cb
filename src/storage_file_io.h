/* storage_file_io.h -- the system calls of the file store, as a table a
 * test can replace to fail the Nth call (tests/fault/fault_storage_io.c).
 * Internal: not part of the public API.  The table is copied into each
 * store, so there is no global hook. */
#ifndef FNL_STORAGE_FILE_IO_H
#define FNL_STORAGE_FILE_IO_H

#include <sys/stat.h>
#include <sys/types.h>
#include "funnelcore.h"

/*
 * Each function behaves like the POSIX call it is named after (return
 * value and errno), with ctx passed first.  dirfd may be AT_FDCWD.
 * fsync() with data_only set may behave as fdatasync().
 */
typedef struct fnli_file_io {
    void *ctx;
    int (*openat)(void *ctx, int dirfd, const char *name, int flags,
                  mode_t mode);
    int (*close)(void *ctx, int fd);
    ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, off_t off);
    ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n,
                      off_t off);
    int (*fsync)(void *ctx, int fd, int data_only);
    int (*ftruncate)(void *ctx, int fd, off_t len);
    int (*fstat)(void *ctx, int fd, struct stat *st);
    int (*renameat)(void *ctx, int dirfd, const char *from, const char *to);
    int (*unlinkat)(void *ctx, int dirfd, const char *name);
    int (*mkdir)(void *ctx, const char *path, mode_t mode);
    int (*flock)(void *ctx, int fd, int op);
} fnli_file_io;

/* Fill *io with the real system calls (ctx NULL). */
void fnli_file_io_default(fnli_file_io *io);

/* fnl_storage_file_open() with the system calls of *io (copied). */
int fnli_storage_file_open_io(fnl_storage **out, const char *dir,
                              const fnl_storage_file_options *opts,
                              const fnli_file_io *io);

/* File names inside a store's directory (docs/storage.md). */
#define FNLI_STORE_LOCK "LOCK"
#define FNLI_STORE_JOURNAL "journal"
#define FNLI_STORE_JOURNAL_TMP "journal.tmp"
#define FNLI_STORE_SNAPSHOT "snapshot"
#define FNLI_STORE_SNAPSHOT_TMP "snapshot.tmp"

/* Sizes of the on-disk headers (docs/storage.md). */
#define FNLI_JOURNAL_HEADER 24
#define FNLI_RECORD_HEADER 16
#define FNLI_SNAPSHOT_HEADER 32

#endif
