/*
 * utf8.h - UTF-8 that PostgreSQL and Kafka headers accept, by
 * construction.
 *
 * Every text that goes from a message into PostgreSQL or onto a topic (a
 * dead letter's reason, a key part, a header) must be valid UTF-8, or
 * PostgreSQL refuses the whole batch (SQLSTATE 22021) and the consumer
 * can never get past that message. Message text is valid when it comes
 * from jansson, but a reason quotes bytes of a message that may not be
 * JSON at all, and cutting a text to a length in bytes can split a
 * character: these functions cut at character boundaries and replace what
 * is not UTF-8.
 */
#ifndef EQM_UTF8_H
#define EQM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) without NUL bytes. */
bool eqm_utf8_valid(const char *s, size_t n);

/* Characters in s[0..n), counting each byte that is not part of a
 * well-formed sequence as one. */
size_t eqm_utf8_chars(const char *s, size_t n);

/* The longest prefix of valid UTF-8 s[0..n) of at most max bytes that
 * ends at a character boundary. */
size_t eqm_utf8_cut(const char *s, size_t n, size_t max);

/*
 * Copies s[0..n) into out (size bytes, NUL-terminated): every byte that
 * is not part of a well-formed sequence (and every NUL) becomes U+FFFD,
 * and the copy is cut at a character boundary to fit. Returns the length
 * written. s and out may be the same buffer only if nothing needs
 * replacing; use eqm_utf8_fix() for that.
 */
size_t eqm_utf8_copy(char *out, size_t size, const char *s, size_t n);

/* eqm_utf8_copy() in place for a NUL-terminated text in a buffer of size
 * bytes (at most 1,024 are kept). Returns true if it changed anything. */
bool eqm_utf8_fix(char *s, size_t size);

/*
 * True when valid UTF-8 s[0..n) holds nothing a person can see: only
 * white space (ASCII, no-break and the Unicode spaces) and invisible
 * format characters (zero-width space, joiners, word joiner, byte order
 * mark). An event_id or an area made of these is as blank as "".
 */
bool eqm_utf8_blank(const char *s, size_t n);

#endif /* EQM_UTF8_H */
