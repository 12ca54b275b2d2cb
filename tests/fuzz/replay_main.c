/* replay_main.c -- runs a fuzz target over files, without libFuzzer.
 *
 * Usage: replay_<target> PATH...  where each PATH is a file or a directory
 * whose regular files (not recursively) are inputs.  Used by the meson
 * tests fuzz_replay_<target>, so every committed seed and every input that
 * once crashed (tests/fuzz/corpus/<target>/crash-*) runs in every build,
 * under the sanitizers of the sanitizer build. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0, got;
    if (f == NULL) {
        perror(path);
        return 1;
    }
    for (;;) {
        if (len == cap) {
            unsigned char *nb;
            cap = cap ? cap * 2 : 4096;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                fclose(f);
                free(buf);
                return 1;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    {
        /* An exact-size copy, so reads past the input trip ASan. */
        unsigned char *exact = malloc(len ? len : 1);
        if (exact == NULL) {
            free(buf);
            return 1;
        }
        if (len)
            memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    free(buf);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int i, bad = 0;
    size_t runs = 0;
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *de;
            char **names = NULL;
            size_t n = 0, k;
            if (d == NULL) {
                perror(argv[i]);
                return 1;
            }
            while ((de = readdir(d)) != NULL) {
                char **nn;
                if (de->d_name[0] == '.')
                    continue;
                nn = realloc(names, (n + 1) * sizeof(*names));
                if (nn == NULL)
                    return 1;
                names = nn;
                names[n] = malloc(strlen(argv[i]) + strlen(de->d_name) + 2);
                if (names[n] == NULL)
                    return 1;
                sprintf(names[n], "%s/%s", argv[i], de->d_name);
                n++;
            }
            closedir(d);
            qsort(names, n, sizeof(*names), cmp);
            for (k = 0; k < n; k++) {
                if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
                    bad |= run_file(names[k]);
                    runs++;
                }
                free(names[k]);
            }
            free(names);
        } else {
            bad |= run_file(argv[i]);
            runs++;
        }
    }
    if (bad)
        return 1;
    if (runs == 0) {
        fprintf(stderr, "not ok - no inputs found\n");
        return 1;
    }
    printf("ok - %zu inputs replayed\n", runs);
    return 0;
}
