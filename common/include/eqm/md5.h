/*
 * MD5 (RFC 1321), for de-duplication keys only: an event's key is
 * md5(source ":" event_id), the same value PostgreSQL's md5() gives, so
 * keys stored before migration 008 could be converted in SQL. Not for
 * anything that needs resistance to a deliberate collision.
 */
#ifndef EQM_MD5_H
#define EQM_MD5_H

#include <stddef.h>
#include <stdint.h>

struct eqm_md5 {
    uint32_t h[4];
    uint64_t bytes;
    unsigned char block[64];
    size_t used;
};

void eqm_md5_init(struct eqm_md5 *m);
void eqm_md5_update(struct eqm_md5 *m, const void *data, size_t len);
void eqm_md5_final(struct eqm_md5 *m, unsigned char digest[16]);

/* One call: digest of len bytes at data. */
void eqm_md5(const void *data, size_t len, unsigned char digest[16]);

#endif
