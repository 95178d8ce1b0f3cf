#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sc_handler.h"

void sc_response_error(struct sc_response *resp, unsigned status, const char *prefix,
                       const char *fmt, ...)
{
    char msg[768];
    int n = snprintf(msg, sizeof msg, "%s: ", prefix);
    if (n < 0 || (size_t)n >= sizeof msg) {
        n = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    /* The answer must be UTF-8 and a log line must stay one line: keep printable ASCII. */
    for (char *p = msg; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f) {
            *p = c == '\n' || c == '\t' ? ' ' : '?';
        }
    }
    json_free(resp->body);
    free(resp->text);
    resp->text = NULL;
    resp->status = status;
    resp->body = json_object_of_strings("error", msg, NULL);
}

void sc_response_ok(struct sc_response *resp, cJSON *body)
{
    free(resp->text);
    resp->text = NULL;
    json_free(resp->body);
    resp->body = body;
    resp->status = body != NULL ? 200u : 500u;
}

void sc_response_ok_text(struct sc_response *resp, char *text, size_t len)
{
    json_free(resp->body);
    resp->body = NULL;
    free(resp->text);
    resp->text = text;
    resp->text_len = len;
    resp->status = 200u;
}
