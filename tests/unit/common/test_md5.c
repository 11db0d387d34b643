/*
 * test_md5.c - the de-duplication key hash against the test suite
 * published in RFC 1321, appendix A.5 (expected digests copied from the
 * RFC, not from this code), fed whole and in awkward pieces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "eqm/md5.h"

static const struct {
    const char *input;
    const char *digest;
} rfc1321[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static void hex(const unsigned char d[16], char out[33]) {
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_rfc1321_whole(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(rfc1321) / sizeof(rfc1321[0]); i++) {
        unsigned char d[16];
        char h[33];
        eqm_md5(rfc1321[i].input, strlen(rfc1321[i].input), d);
        hex(d, h);
        assert_string_equal(h, rfc1321[i].digest);
    }
}

/* Every split point of the 80-byte input: block boundaries (64) and the
 * padding boundary (56) are crossed from both sides. */
static void test_rfc1321_in_pieces(void **state) {
    const char *in = rfc1321[6].input;
    size_t n = strlen(in);
    (void)state;
    for (size_t cut = 0; cut <= n; cut++) {
        struct eqm_md5 m;
        unsigned char d[16];
        char h[33];
        eqm_md5_init(&m);
        eqm_md5_update(&m, in, cut);
        eqm_md5_update(&m, in + cut, n - cut);
        eqm_md5_final(&m, d);
        hex(d, h);
        assert_string_equal(h, rfc1321[6].digest);
    }
}

/* 55, 56 and 64 bytes need one or two padding blocks. */
static void test_padding_lengths(void **state) {
    /* Digests of 'a' repeated 55, 56 and 64 times, from GNU coreutils
     * md5sum (printf 'a%.0s' $(seq 55) | md5sum). */
    static const struct {
        size_t n;
        const char *digest;
    } cases[] = {
        {55, "ef1772b6dff9a122358552954ad0df65"},
        {56, "3b0c8ac703f828b04c6c197006d17218"},
        {64, "014842d480b571495a4a0363793f7367"},
    };
    char buf[64];
    (void)state;
    memset(buf, 'a', sizeof(buf));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char d[16];
        char h[33];
        eqm_md5(buf, cases[i].n, d);
        hex(d, h);
        assert_string_equal(h, cases[i].digest);
    }
}

EQM_UNIT_MAIN(test_rfc1321_whole, test_rfc1321_in_pieces, test_padding_lengths)
