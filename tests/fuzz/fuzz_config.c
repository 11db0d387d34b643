/*
 * fuzz_config.c - any bytes as a consumer's config file (the common and
 * the engine's settings): loading never crashes, an error names the file
 * and a line ("path:N: ...", or the setting for the final PostgreSQL
 * checks), and a file that loads prints back (--print-config) to settings
 * that load again to the same output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eqm/config.h"
#include "eqm/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static enum eqm_config_result load(const void *bytes, size_t n, struct eqm_config *cfg,
                                   struct eqm_engine_config *ecfg, char *err, size_t errsz) {
    FILE *fp = fopen(path, "w");
    struct eqm_settings t = eqm_engine_settings(ecfg);
    char *argv[] = {"fuzz", "--config", path};
    if (!fp || fwrite(bytes, 1, n, fp) != n || fclose(fp) != 0)
        abort();
    memset(ecfg, 0, sizeof(*ecfg));
    return eqm_config_load(cfg, &t, 1, "fuzz", "", NULL, 3, argv, stdout, err, errsz);
}

static char *print(const struct eqm_config *cfg, size_t *len) {
    char *out = NULL;
    FILE *fp = open_memstream(&out, len);
    if (!fp)
        abort();
    eqm_config_print(cfg, fp);
    fclose(fp);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct eqm_config cfg;
    struct eqm_engine_config ecfg;
    char err[512];
    enum eqm_config_result r;

    if (!path[0])
        snprintf(path, sizeof(path), "/tmp/eqm-fuzz-config.%d", (int)getpid());
    unsetenv("EQM_CONFIG");
    r = load(data, size, &cfg, &ecfg, err, sizeof(err));
    if (r == EQM_CONFIG_ERROR) {
        /* Errors name the file; file errors also the line. The checks of
         * the PostgreSQL settings taken together (pg.password merged into
         * pg.url, a passfile's mode) come after every source is read and
         * name the setting instead. */
        if (strncmp(err, path, strlen(path)) != 0 && strncmp(err, "pg.url: ", 8) != 0 &&
            strncmp(err, "PostgreSQL password file ", 25) != 0)
            abort();
    } else if (r == EQM_CONFIG_OK) {
        size_t n1, n2;
        char *a = print(&cfg, &n1), *b;
        struct eqm_config cfg2;
        struct eqm_engine_config ecfg2;
        /* pg.url is masked when printed, so it does not round-trip. */
        if (load(a, n1, &cfg2, &ecfg2, err, sizeof(err)) == EQM_CONFIG_OK) {
            b = print(&cfg2, &n2);
            if (n1 != n2 || memcmp(a, b, n1) != 0) {
                fprintf(stderr, "print-config does not round-trip:\n%s---\n%s", a, b);
                abort();
            }
            free(b);
        }
        eqm_config_free(&cfg2);
        free(a);
    }
    eqm_config_free(&cfg);
    return 0;
}
