/* One HTTP GET of the PCCS client (pccs_http.c). */
#ifndef DSTACK_VERIFY_PCCS_HTTP_H
#define DSTACK_VERIFY_PCCS_HTTP_H

#include <stddef.h>

#include <dstack/common.h>

struct pccs_answer {
    char *body; /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
    char *header_value; /* the asked-for header, URL-decoded */
};

/* GET url; header (may be NULL) names a header that must be present. DSTACK_ETRANSPORT when the
 * server cannot be reached or is too slow, DSTACK_EPROTO for a non-200 answer or a missing
 * header; the error text names the URL. */
dstack_err pccs_http_get(const char *url, const char *header, long timeout_ms,
                         struct pccs_answer *a);
void pccs_answer_clear(struct pccs_answer *a);

#endif
