/*
 * progress.c -- a progress bar on stderr (only when it is a terminal) and
 * SIGINT handling: the handler only sets a flag; long loops check it
 * between batches and unwind, and main() exits with 130.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

int cli_canceled(void) { return interrupted != 0; }

static struct {
    int on, quiet, tty_checked, tty;
    const char *label;
    uint64_t total;
    double last;
    double started;
} bar;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_set_quiet(int quiet) { bar.quiet = quiet; }

void cli_progress_begin(const char *label, uint64_t total)
{
    if (!bar.tty_checked) {
        bar.tty = isatty(STDERR_FILENO);
        bar.tty_checked = 1;
    }
    bar.on = bar.tty && !bar.quiet;
    bar.label = label;
    bar.total = total;
    bar.started = bar.last = now_s();
}

static void draw(uint64_t done, int final)
{
    char line[160];
    int n;
    if (bar.total > 0) {
        double f = (double)done / (double)bar.total;
        int width = 30, fill;
        if (f > 1)
            f = 1;
        fill = (int)(f * width + 0.5);
        n = snprintf(line, sizeof(line), "\r%-24.24s [", bar.label);
        for (int i = 0; i < width && n < (int)sizeof(line) - 20; i++)
            line[n++] = i < fill ? '#' : '.';
        n += snprintf(line + n, sizeof(line) - (size_t)n, "] %3d%%",
                      (int)(f * 100));
    } else {
        n = snprintf(line, sizeof(line), "\r%-24.24s %llu", bar.label,
                     (unsigned long long)done);
    }
    if (n > (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 1;
    (void)!write(STDERR_FILENO, line, (size_t)n);
    if (final)
        (void)!write(STDERR_FILENO, "\r\033[K", 4);
}

void cli_progress_update(uint64_t done)
{
    double t;
    if (!bar.on)
        return;
    t = now_s();
    if (t - bar.last < 0.1)
        return;
    bar.last = t;
    draw(done, 0);
}

void cli_progress_end(void)
{
    if (!bar.on)
        return;
    draw(bar.total, 1);
    bar.on = 0;
}
