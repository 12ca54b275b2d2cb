/* storage_testdir.h -- temporary directories and whole-file helpers for
 * the storage tests.  Store directories are flat, so removal is one
 * level deep. */
#ifndef FNL_STORAGE_TESTDIR_H
#define FNL_STORAGE_TESTDIR_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TD_PATH 512

/* Create a fresh directory under $TMPDIR (or /tmp) into out. */
static inline int td_make(char out[TD_PATH], const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(out, TD_PATH, "%s/fnl-%s-XXXXXX", base, tag);
    return mkdtemp(out) != NULL ? 0 : -1;
}

static inline void td_path(char out[TD_PATH], const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    out[0] = '\0';
    if (a + b + 2 > TD_PATH)
        return;
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
}

/* Remove every file in dir (not the directory itself). */
static inline void td_clear(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[TD_PATH];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        td_path(p, dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static inline void td_remove(const char *dir)
{
    td_clear(dir);
    rmdir(dir);
}

static inline int td_exists(const char *dir, const char *name)
{
    char p[TD_PATH];
    struct stat st;
    td_path(p, dir, name);
    return stat(p, &st) == 0;
}

static inline long td_size(const char *dir, const char *name)
{
    char p[TD_PATH];
    struct stat st;
    td_path(p, dir, name);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static inline int unlink_in(const char *dir, const char *name)
{
    char p[TD_PATH];
    td_path(p, dir, name);
    return unlink(p);
}

/* Read a whole file into a malloc'ed buffer; NULL on failure. */
static inline unsigned char *td_read(const char *dir, const char *name, size_t *len)
{
    char p[TD_PATH];
    FILE *f;
    unsigned char *buf;
    long n;
    td_path(p, dir, name);
    f = fopen(p, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline int td_write(const char *dir, const char *name, const void *buf,
                    size_t len)
{
    char p[TD_PATH];
    FILE *f;
    int ok;
    td_path(p, dir, name);
    f = fopen(p, "wb");
    if (f == NULL)
        return -1;
    ok = fwrite(buf, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif
