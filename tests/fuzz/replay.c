/* Replays saved fuzz inputs without libFuzzer: feeds every file named on the
 * command line, or found in a folder named there, to the target's
 * LLVMFuzzerTestOneInput, so that the seed corpus and every regression input
 * run in the ordinary gcc and sanitizer builds.  A folder prefixed with '?'
 * may be missing.  A violated invariant aborts (the test fails); otherwise
 * the driver prints how many inputs it ran and exits 0. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_support.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        unsigned char *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    fclose(f);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn == NULL)
                break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[count] = malloc(len);
        if (names[count] == NULL)
            break;
        snprintf(names[count], len, "%s/%s", dir, e->d_name);
        count++;
    }
    closedir(d);
    qsort(names, count, sizeof *names, cmp_str);
    long ran = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode) && run_file(names[i]) == 0)
            ran++;
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    for (int a = 1; a < argc; a++) {
        const char *path = argv[a];
        int optional = path[0] == '?';
        if (optional)
            path++;
        struct stat sb;
        if (stat(path, &sb) != 0) {
            if (optional)
                continue;
            fprintf(stderr, "replay: %s does not exist\n", path);
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) {
            long r = run_dir(path);
            if (r < 0) {
                fprintf(stderr, "replay: cannot read %s\n", path);
                return 1;
            }
            total += r;
        } else if (run_file(path) == 0) {
            total++;
        } else {
            return 1;
        }
    }
    printf("replayed %ld inputs\n", total);
    return 0;
}
