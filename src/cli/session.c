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
 *
 * When the invocation runs a stage machine (stages.c), the machine file is
 * parsed before anything is opened, and the scoring model and the machine
 * are attached as soon as the engine is open, before the import.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_ENGINE_JOURNALS 1

#ifdef CLI_FAULT_INJECTION
/* Test builds only (funnelcore-fault, used by tests/cli): the engine, the
 * scoring model and the stage machine allocate through tests/failalloc.h.
 * FUNNELCORE_FAIL_ALLOC=N fails the Nth allocation (0: the first) once,
 * "N+" that one and every later one; FUNNELCORE_FAIL_STATS=1 prints the
 * number of allocations at the end. */
#include "failalloc.h"
static failalloc fault = {-1, 0, 0, 0, 0};
static fnl_allocator fault_table;

const fnl_allocator *cli_allocator(void)
{
    (void)fa_disarm;
    if (fault_table.version == 0) {
        const char *v = getenv("FUNNELCORE_FAIL_ALLOC");
        fault_table = fa_table(&fault);
        if (v != NULL && *v)
            fa_arm(&fault, atol(v), strchr(v, '+') != NULL);
    }
    return &fault_table;
}

static void fault_report(void)
{
    if (getenv("FUNNELCORE_FAIL_STATS") != NULL)
        fprintf(stderr, "fault: %ld allocations, %ld failed\n", fault.calls,
                fault.fired);
}
#else
const fnl_allocator *cli_allocator(void) { return NULL; }
static void fault_report(void) {}
#endif

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

static void drop_machine(cli_session *s)
{
    fnl_machine_free(s->machine);
    free(s->machine_source);
    s->machine = NULL;
    s->machine_source = NULL;
}

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
    if ((rc = cli_stages_load(s)) != CLI_EXIT_OK)
        return rc;
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
            drop_machine(s);
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
    cfg.allocator = cli_allocator();
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
        drop_machine(s);
        return CLI_EXIT_DATA;
    }
    /* the machine's guards read scores as the rows arrive */
    if (s->machine != NULL &&
        ((rc = cli_scoring_attach(s)) != CLI_EXIT_OK ||
         (rc = cli_stages_attach(s)) != CLI_EXIT_OK)) {
        cli_session_close(s);
        return rc;
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
    if (s->engine != NULL)
        fault_report();
    fnl_storage_close(s->storage);
    cli_dims_free(s->dims);
    free(s->model_name);
    free(s->model_source);
    fnl_machine_free(s->machine);
    free(s->machine_source);
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
