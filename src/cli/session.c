/*
 * session.c -- one invocation's engine, and the store behind it.
 *
 * Persistence: `--store DIR` opens the library's file store
 * (fnl_storage_file_open), which creates and locks the directory.  The
 * engine cannot journal through a storage yet (the engine config has no
 * storage field), so every invocation still works on an in-memory engine
 * filled from the CSV files named on its command line, and the store is
 * opened only to validate and lock it.  When persistence lands, set
 * CLI_ENGINE_JOURNALS to 1: the engine then replays the store on open and
 * journals every import into it, and nothing else here changes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_ENGINE_JOURNALS 0

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

int cli_session_open(cli_session *s, const cli_opts *o)
{
    fnl_engine_config cfg = FNL_ENGINE_CONFIG_INIT;
    int rc;
    memset(s, 0, sizeof(*s));
    s->o = o;
    if (o->store != NULL) {
        fnl_storage_file_options so = FNL_STORAGE_FILE_OPTIONS_INIT;
        char errbuf[256] = "";
        so.sync_policy = FNL_SYNC_INTERVAL; /* imports: sync per batch */
        so.sync_every_records = 4096;
        so.errbuf = errbuf;
        so.errbuf_size = sizeof(errbuf);
        rc = fnl_storage_file_open(&s->storage, o->store, &so);
        if (rc != FNL_OK) {
            cli_err("--store %s: %s%s%s", o->store, fnl_strerror(rc),
                    errbuf[0] ? ": " : "", errbuf);
            return CLI_EXIT_DATA;
        }
    }
    if (o->now != INT64_MIN) {
        s->clock.version = FNL_CLOCK_VERSION;
        s->clock.ctx = (void *)&o->now;
        s->clock.now = fixed_now;
        cfg.clock = &s->clock;
    }
    cfg.default_country_code = o->default_country_code;
#if CLI_ENGINE_JOURNALS
    cfg.storage = s->storage;
#endif
    rc = fnl_engine_open(&s->engine, &cfg);
    if (rc != FNL_OK) {
        cli_err("cannot open the engine: %s", fnl_strerror(rc));
        fnl_storage_close(s->storage);
        s->storage = NULL;
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

void cli_session_close(cli_session *s)
{
    fnl_engine_close(s->engine);
    if (s->storage && s->storage->sync)
        s->storage->sync(s->storage->ctx);
    fnl_storage_close(s->storage);
    cli_dims_free(s->dims);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].path);
    free(s->files);
    for (size_t i = 0; i < s->nwarnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    memset(s, 0, sizeof(*s));
}

void cli_session_warn(cli_session *s, const char *fmt, ...)
{
    va_list ap;
    char buf[512];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    s->warnings = cli_xrealloc(s->warnings,
                               (s->nwarnings + 1) * sizeof(char *));
    s->warnings[s->nwarnings++] = cli_xstrdup(buf);
}
