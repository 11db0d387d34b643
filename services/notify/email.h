/*
 * email.h - eqm-notify's e-mail channel: the message (pure, for the unit
 * tests) and its sending through libcurl's SMTP (README "Notifications").
 *
 * The message is a complete RFC 5322 text: From, To, Subject (status,
 * severity and the alert's summary; RFC 2047 encoded-words when it is not
 * plain ASCII), Date, a Message-ID that depends only on the alert and the
 * recipient (so a resend after a crash is recognisably the same message),
 * and a multipart/alternative body with text/plain and text/html parts
 * (every value HTML-escaped), both UTF-8 in base64.
 */
#ifndef EQM_NOTIFY_EMAIL_H
#define EQM_NOTIFY_EMAIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eqm/buf.h"
#include "notify_channel.h"

#define EQM_EMAIL_MESSAGE_ID_SIZE 96

/* "<ALERT_ID.HASH@eqm-notify>", HASH = 16 hex digits of md5(recipient). */
void eqm_email_message_id(const char *alert_id, const char *recipient,
                          char out[EQM_EMAIL_MESSAGE_ID_SIZE]);

/* The subject as text (UTF-8, not yet encoded): "[Equality Monitor]
 * FIRING critical: SUMMARY". 0, or -1 out of memory. */
int eqm_email_subject(struct eqm_buf *out, const json_t *alert) __attribute__((warn_unused_result));

/* Appends "Name: value" for a header whose value is UTF-8 text: plain
 * ASCII folded at spaces, anything else as RFC 2047 B encoded-words of at
 * most 75 characters, each split at a character boundary; then CRLF. */
int eqm_email_header_text(struct eqm_buf *out, const char *name, const char *value)
    __attribute__((warn_unused_result));

/* The plain-text and HTML bodies (UTF-8, CRLF line ends): the summary,
 * the figures (value, interval, threshold, clearing level), every count,
 * the window, the area and groups, and the rule in lay words. */
int eqm_email_body_text(struct eqm_buf *out, const json_t *alert)
    __attribute__((warn_unused_result));
int eqm_email_body_html(struct eqm_buf *out, const json_t *alert)
    __attribute__((warn_unused_result));

/* Appends text HTML-escaped (& < > " '). */
int eqm_email_html_escape(struct eqm_buf *out, const char *text)
    __attribute__((warn_unused_result));

/* Appends data as base64, lines of 76 characters, CRLF after each. */
int eqm_email_base64(struct eqm_buf *out, const void *data, size_t len)
    __attribute__((warn_unused_result));

/*
 * The whole message into out (reset first). from is the From header as
 * configured ("Name <addr>" or "addr"), to the recipient's address, date
 * seconds since the epoch (the Date header, UTC). 0, or -1 out of memory.
 */
int eqm_email_build(struct eqm_buf *out, const json_t *alert, const char *from, const char *to,
                    const char *message_id, int64_t date) __attribute__((warn_unused_result));

/* What a message is made of: the headers' values (UTF-8; subject not yet
 * encoded), extra_headers ("Name: value\r\n" lines, or NULL) and the two
 * bodies (UTF-8, CRLF line ends). */
struct eqm_email_parts {
    const char *from, *to, *subject, *message_id;
    int64_t date; /* seconds since the epoch */
    const char *extra_headers;
    const struct eqm_buf *text, *html;
};

/* The whole RFC 5322 message of m into out (reset first): the headers and
 * a multipart/alternative body, text/plain then text/html, each base64.
 * Shared by the alert message and the digest. 0, or -1 out of memory. */
int eqm_email_compose(struct eqm_buf *out, const struct eqm_email_parts *m)
    __attribute__((warn_unused_result));

/* The bare address of a From setting: inside <> if there are any. 0, or
 * -1 when it holds no plausible address (or a CR/LF). */
int eqm_email_from_address(const char *from, char *out, size_t size)
    __attribute__((warn_unused_result));

/* Rewrites every word holding an '@' in s as its masked form (j***@x.org):
 * server replies often repeat the recipient's address. */
void eqm_email_mask_addresses(char *s, size_t size);

/* The SMTP server and how to reach it. */
struct eqm_smtp {
    const char *url;             /* smtp://host:port or smtps://host:port */
    const char *user, *password; /* empty: no AUTH */
    const char *from;            /* From header; its address is MAIL FROM */
    const char *ca_file;         /* empty: the system's */
    int starttls_required;       /* smtp://: 1 STARTTLS required, 0 when offered */
    long timeout_ms;
};

/*
 * Sends message (len bytes) to one address. Fills *res: OK when the server
 * accepted it; RETRY for a connection failure, a timeout, a 4xx reply, a
 * refused login or TLS that could not be set up (the settings may be fixed
 * while the message waits); PERMANENT for any other 5xx reply, with the
 * server's reply text (addresses masked) in detail.
 */
void eqm_email_send(const struct eqm_smtp *smtp, const char *to, const char *message, size_t len,
                    struct eqm_delivery_result *res);

/* Classifies a finished transfer (curl's result code, the last SMTP reply
 * code, the server's last reply line); fills *res. Pure, for the tests. */
void eqm_email_classify(int curl_code, long smtp_code, const char *curl_error,
                        const char *server_reply, struct eqm_delivery_result *res);

#endif /* EQM_NOTIFY_EMAIL_H */
