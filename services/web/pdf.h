/*
 * pdf.h - a panel's pack as PDF: its printable page (style and scripts
 * inlined, the charts' data embedded) printed by headless Chromium
 * (Debian's chromium; web.chromium names another), the program the pack's
 * charts are drawn for. No network: the page is a file.
 */
#ifndef EQM_WEB_PDF_H
#define EQM_WEB_PDF_H

#include <stddef.h>

/*
 * Prints html (a whole page) to a PDF and returns its bytes in *pdf (free
 * with free()) and their number in *len. chromium: the program; timeout_s
 * bounds the run (it is killed past it). 0, or -1 with errstr (Chromium
 * missing, failed, too slow, or wrote no PDF).
 */
int eqm_web_pdf(const char *html, const char *chromium, long timeout_s, char **pdf, size_t *len,
                char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

#endif
