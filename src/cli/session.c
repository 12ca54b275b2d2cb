/*
 * session.c -- one invocation's engine, and the store behind it.
 *
 * Without --store the engine lives in memory for this invocation only,
 * filled from the CSV files on its command line.  With --store DIR the
 * library's file store (fnl_storage_file_open) is opened (created when
 * missing, and locked) and passed to the engine: opening replays what
 * earlier invocations imported, and every mutation of this one is journaled
 * into it before it is applied.  CLI_ENGINE_JOURNALS is the one switch
 * between the two behaviours (0: the store is only opened and locked, as
 * before the library had persistence).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_ENGINE_JOURNALS 1

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

int cli_session_persists(const cli_session *s)
{
    return CLI_ENGINE_JOURNALS && s->storage != NULL;
}

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
    char errbuf[256] = "";
#if CLI_ENGINE_JOURNALS
    cfg.storage = s->storage;
    cfg.errbuf = errbuf;
    cfg.errbuf_size = sizeof(errbuf);
#endif
    if (s->storage != NULL)
        cli_progress_begin("open store", 0);
    rc = fnl_engine_open(&s->engine, &cfg);
    cli_progress_end();
    if (rc != FNL_OK) {
        cli_err("cannot open the engine%s%s: %s%s%s",
                o->store ? " on --store " : "", o->store ? o->store : "",
                fnl_strerror(rc), errbuf[0] ? ": " : "", errbuf);
        fnl_storage_close(s->storage);
        s->storage = NULL;
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

void cli_session_close(cli_session *s)
{
    if (s->engine != NULL && cli_session_persists(s) &&
        fnl_engine_sync(s->engine) != FNL_OK)
        cli_err("--store %s: sync failed: %s", s->o->store,
                fnl_errmsg(s->engine));
    fnl_engine_close(s->engine);
    fnl_storage_close(s->storage);
    cli_dims_free(s->dims);
    free(s->model_name);
    free(s->model_source);
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
