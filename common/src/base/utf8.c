#include "eqm/utf8.h"

#include <string.h>

/* Length of the well-formed sequence at s[0..n), or 0 (RFC 3629). */
static size_t seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c >= 0x01 && c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0; /* NUL, a continuation byte, C0, C1, F5..FF */
}

bool eqm_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = seq_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

size_t eqm_utf8_chars(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, chars = 0;
    while (i < n) {
        size_t k = seq_len(p + i, n - i);
        i += k ? k : 1;
        chars++;
    }
    return chars;
}

size_t eqm_utf8_cut(const char *s, size_t n, size_t max) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = seq_len(p + i, n - i);
        if (!k || i + k > max)
            break;
        i += k;
    }
    return i;
}

size_t eqm_utf8_copy(char *out, size_t size, const char *s, size_t n) {
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;

    if (size == 0)
        return 0;
    while (i < n) {
        size_t k = seq_len(p + i, n - i);
        const char *from = k ? s + i : replacement;
        size_t len = k ? k : 3;
        if (o + len > size - 1)
            break;
        memmove(out + o, from, len);
        o += len;
        i += k ? k : 1;
    }
    out[o] = '\0';
    return o;
}

bool eqm_utf8_fix(char *s, size_t size) {
    char tmp[1024];
    size_t n = strlen(s);

    if (eqm_utf8_valid(s, n))
        return false;
    if (size > sizeof(tmp))
        size = sizeof(tmp);
    eqm_utf8_copy(tmp, size, s, n);
    memcpy(s, tmp, strlen(tmp) + 1);
    return true;
}

/* Code point of the well-formed sequence of k bytes at p. */
static unsigned long decode(const unsigned char *p, size_t k) {
    switch (k) {
    case 1:
        return p[0];
    case 2:
        return ((unsigned long)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
        return ((unsigned long)(p[0] & 0x0F) << 12) | ((unsigned long)(p[1] & 0x3F) << 6) |
               (p[2] & 0x3F);
    default:
        return ((unsigned long)(p[0] & 0x07) << 18) | ((unsigned long)(p[1] & 0x3F) << 12) |
               ((unsigned long)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

/* White space (Unicode's White_Space) and the invisible format
 * characters that make a text look empty. */
static bool invisible(unsigned long c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF || c == 0x180E;
}

bool eqm_utf8_blank(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = seq_len(p + i, n - i);
        if (!k || !invisible(decode(p + i, k)))
            return false;
        i += k;
    }
    return true;
}
