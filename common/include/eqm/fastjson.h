/*
 * fastjson.h - a fast path for the flat JSON objects events usually are.
 *
 * jansson's reader goes through its input a byte at a time behind a
 * callback and was most of the consumer's own time (README, "Performance").
 * Events are nearly always one flat object of plain ASCII strings, numbers,
 * booleans and nulls; this reader handles exactly that subset in one pass
 * and builds the same jansson object json_loadb() would. Anything outside
 * the subset -- a backslash escape, a byte outside printable ASCII, a
 * nested object or array, a duplicate key, an exponent or a long number,
 * trailing bytes, a top level that is not an object -- makes it return
 * NULL, and the caller falls back to json_loadb(), which then accepts or
 * rejects the message with its usual error. So the fast path never
 * changes what is accepted, only how fast.
 */
#ifndef EQM_FASTJSON_H
#define EQM_FASTJSON_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parses buf[0..len) if it is a flat object in the subset above. Returns a
 * new reference (the caller json_decref()s it), or NULL: not in the subset
 * (or out of memory); use json_loadb().
 */
json_t *eqm_fastjson_flat_object(const char *buf, size_t len);

#endif /* EQM_FASTJSON_H */
