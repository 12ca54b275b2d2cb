/* faultio.h -- an I/O table for the file store that fails the Nth system
 * call (openat, pread, pwrite, fsync, ftruncate, fstat, renameat, unlinkat,
 * mkdir, flock; close never fails) and counts descriptors so a test can
 * prove none leaked. */
#ifndef FNL_FAULTIO_H
#define FNL_FAULTIO_H

#include <errno.h>
#include "storage_file_io.h"

typedef struct faultio {
    fnli_file_io real;
    long countdown;  /* < 0: never fail; 0: fail the next call */
    long calls;      /* calls counted */
    long fired;      /* failures injected */
    int torn;        /* a failing pwrite first writes half its bytes */
    int fail_errno;  /* errno of an injected failure (EIO) */
    long open_fds;   /* descriptors opened and not closed */
} faultio;

static inline int fio_hit(faultio *f)
{
    f->calls++;
    if (f->countdown < 0)
        return 0;
    if (f->countdown-- > 0)
        return 0;
    f->fired++;
    errno = f->fail_errno ? f->fail_errno : EIO;
    return 1;
}

static inline int fio_openat(void *ctx, int dirfd, const char *name, int flags,
                      mode_t mode)
{
    faultio *f = ctx;
    int fd;
    if (fio_hit(f))
        return -1;
    fd = f->real.openat(f->real.ctx, dirfd, name, flags, mode);
    if (fd >= 0)
        f->open_fds++;
    return fd;
}

static inline int fio_close(void *ctx, int fd)
{
    faultio *f = ctx;
    f->open_fds--;
    return f->real.close(f->real.ctx, fd);
}

static inline ssize_t fio_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.pread(f->real.ctx, fd, buf, n, off);
}

static inline ssize_t fio_pwrite(void *ctx, int fd, const void *buf, size_t n,
                          off_t off)
{
    faultio *f = ctx;
    if (fio_hit(f)) {
        if (f->torn && n > 1) {
            int e = errno;
            f->real.pwrite(f->real.ctx, fd, buf, n / 2, off);
            errno = e;
        }
        return -1;
    }
    return f->real.pwrite(f->real.ctx, fd, buf, n, off);
}

static inline int fio_fsync(void *ctx, int fd, int data_only)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.fsync(f->real.ctx, fd, data_only);
}

static inline int fio_ftruncate(void *ctx, int fd, off_t len)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.ftruncate(f->real.ctx, fd, len);
}

static inline int fio_fstat(void *ctx, int fd, struct stat *st)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.fstat(f->real.ctx, fd, st);
}

static inline int fio_renameat(void *ctx, int dirfd, const char *from, const char *to)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.renameat(f->real.ctx, dirfd, from, to);
}

static inline int fio_unlinkat(void *ctx, int dirfd, const char *name)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.unlinkat(f->real.ctx, dirfd, name);
}

static inline int fio_mkdir(void *ctx, const char *path, mode_t mode)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.mkdir(f->real.ctx, path, mode);
}

static inline int fio_flock(void *ctx, int fd, int op)
{
    faultio *f = ctx;
    if (fio_hit(f))
        return -1;
    return f->real.flock(f->real.ctx, fd, op);
}

/* Set up f (never failing) and the table that routes through it. */
static inline void faultio_init(faultio *f, fnli_file_io *io)
{
    memset(f, 0, sizeof(*f));
    fnli_file_io_default(&f->real);
    f->countdown = -1;
    io->ctx = f;
    io->openat = fio_openat;
    io->close = fio_close;
    io->pread = fio_pread;
    io->pwrite = fio_pwrite;
    io->fsync = fio_fsync;
    io->ftruncate = fio_ftruncate;
    io->fstat = fio_fstat;
    io->renameat = fio_renameat;
    io->unlinkat = fio_unlinkat;
    io->mkdir = fio_mkdir;
    io->flock = fio_flock;
}

/* Fail the nth counted call from now (0: the next), once. */
static inline void faultio_arm(faultio *f, long n)
{
    f->countdown = n;
    f->fired = 0;
}

static inline void faultio_disarm(faultio *f)
{
    f->countdown = -1;
}

#endif
