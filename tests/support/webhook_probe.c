/*
 * webhook_probe.c - eqm-webhook-probe: one eqm_webhook_send() from the
 * command line, for tests/integration/test_notify_webhook_http.sh. A test
 * program, not part of the product.
 *
 *   eqm-webhook-probe [--shape S] [--timeout-ms N] [--ca-file F] [--key K] URL ALERT.json
 *
 * The secret header ("Name: value") comes from EQM_WEBHOOK_SECRET_HEADER,
 * never from the command line. Prints outcome=, status=, retry_after_ms=,
 * elapsed_ms= and detail= lines; exits 0 when the send returned 0, 1 when
 * it failed (out of memory) or the alert could not be read, 2 on bad
 * arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "eqm/timeutil.h"
#include "webhook.h"

static int usage(void) {
    fprintf(stderr, "usage: eqm-webhook-probe [--shape generic|teams|slack] [--timeout-ms N]"
                    " [--ca-file FILE] [--key KEY] URL ALERT.json\n");
    return 2;
}

int main(int argc, char **argv) {
    static const char *const names[] = {"ok", "retry", "permanent"};
    struct eqm_webhook_target t = {.shape = EQM_WEBHOOK_GENERIC, .timeout_ms = 10000};
    struct eqm_delivery_result res;
    const char *key = NULL, *path;
    json_error_t err;
    json_t *alert;
    int64_t start;
    int i, rc;

    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--shape") == 0) {
            if (eqm_webhook_shape_parse(argv[i + 1], &t.shape) != 0)
                return usage();
        } else if (strcmp(argv[i], "--timeout-ms") == 0) {
            t.timeout_ms = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--ca-file") == 0) {
            t.ca_file = argv[i + 1];
        } else if (strcmp(argv[i], "--key") == 0) {
            key = argv[i + 1];
        } else {
            return usage();
        }
    }
    if (argc - i != 2)
        return usage();
    t.url = argv[i];
    path = argv[i + 1];
    t.secret_header = getenv("EQM_WEBHOOK_SECRET_HEADER");
    alert = json_load_file(path, 0, &err);
    if (!alert) {
        fprintf(stderr, "eqm-webhook-probe: %s:%d: %s\n", path, err.line, err.text);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "eqm-webhook-probe: curl_global_init failed\n");
        json_decref(alert);
        return 1;
    }
    start = eqm_time_mono_ms();
    rc = eqm_webhook_send(&t, alert, key, &res);
    printf("outcome=%s\nstatus=%ld\nretry_after_ms=%lld\nelapsed_ms=%lld\ndetail=%s\n",
           names[res.outcome], res.status, (long long)res.retry_after_ms,
           (long long)(eqm_time_mono_ms() - start), res.detail);
    json_decref(alert);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}
