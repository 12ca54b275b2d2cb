/* storage_file_io.c -- the real system calls behind the file store's I/O
 * table (storage_file_io.h). */
#include <fcntl.h>
#include <stdio.h> /* renameat */
#include <sys/file.h>
#include <unistd.h>
#include "storage_file_io.h"

static int sys_openat(void *ctx, int dirfd, const char *name, int flags,
                      mode_t mode)
{
    (void)ctx;
    return openat(dirfd, name, flags, mode);
}

static int sys_close(void *ctx, int fd)
{
    (void)ctx;
    return close(fd);
}

static ssize_t sys_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
    (void)ctx;
    return pread(fd, buf, n, off);
}

static ssize_t sys_pwrite(void *ctx, int fd, const void *buf, size_t n,
                          off_t off)
{
    (void)ctx;
    return pwrite(fd, buf, n, off);
}

static int sys_fsync(void *ctx, int fd, int data_only)
{
    (void)ctx;
#if defined(__APPLE__) && defined(F_FULLFSYNC)
    /* fsync() on macOS does not reach the platter; F_FULLFSYNC does */
    (void)data_only;
    if (fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
    return fsync(fd);
#elif defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
    return data_only ? fdatasync(fd) : fsync(fd);
#else
    (void)data_only;
    return fsync(fd);
#endif
}

static int sys_ftruncate(void *ctx, int fd, off_t len)
{
    (void)ctx;
    return ftruncate(fd, len);
}

static int sys_fstat(void *ctx, int fd, struct stat *st)
{
    (void)ctx;
    return fstat(fd, st);
}

static int sys_renameat(void *ctx, int dirfd, const char *from, const char *to)
{
    (void)ctx;
    return renameat(dirfd, from, dirfd, to);
}

static int sys_unlinkat(void *ctx, int dirfd, const char *name)
{
    (void)ctx;
    return unlinkat(dirfd, name, 0);
}

static int sys_mkdir(void *ctx, const char *path, mode_t mode)
{
    (void)ctx;
    return mkdir(path, mode);
}

static int sys_flock(void *ctx, int fd, int op)
{
    (void)ctx;
    return flock(fd, op);
}

void fnli_file_io_default(fnli_file_io *io)
{
    io->ctx = NULL;
    io->openat = sys_openat;
    io->close = sys_close;
    io->pread = sys_pread;
    io->pwrite = sys_pwrite;
    io->fsync = sys_fsync;
    io->ftruncate = sys_ftruncate;
    io->fstat = sys_fstat;
    io->renameat = sys_renameat;
    io->unlinkat = sys_unlinkat;
    io->mkdir = sys_mkdir;
    io->flock = sys_flock;
}
