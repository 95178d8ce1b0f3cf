/* The QE identity document (Intel PCS API v4 "enclaveIdentity"; fields as dcap-qvl
 * src/qe_identity.rs reads them): what the quoting enclave must be (MRSIGNER, ISVPRODID,
 * masked MISCSELECT and ATTRIBUTES) and its TCB levels by ISVSVN. */
#include "dcap.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/byte_reader.h"

bool tcb_parse_isv_levels(const cJSON *arr, struct qe_level **out, size_t *n);

static bool parse_fields(const cJSON *doc, struct qe_identity *q)
{
    char date[64];
    int64_t version = 0, prodid = 0;
    uint8_t misc[4], mask[4];
    if (!vjson_str(doc, "id", q->id, sizeof q->id) ||
        !vjson_int(doc, "version", 0, 1000, &version) ||
        !vjson_str(doc, "issueDate", date, sizeof date) || !dcap_time_parse(date, &q->issue_date) ||
        !vjson_str(doc, "nextUpdate", date, sizeof date) ||
        !dcap_time_parse(date, &q->next_update) || !vjson_hex(doc, "miscselect", misc, 4) ||
        !vjson_hex(doc, "miscselectMask", mask, 4) ||
        !vjson_hex(doc, "attributes", q->attributes, sizeof q->attributes) ||
        !vjson_hex(doc, "attributesMask", q->attributes_mask, sizeof q->attributes_mask) ||
        !vjson_hex(doc, "mrsigner", q->mrsigner, sizeof q->mrsigner) ||
        !vjson_int(doc, "isvprodid", 0, UINT16_MAX, &prodid)) {
        return false;
    }
    /* The hex is the little-endian bytes of the u32, as in the report (dcap-qvl reads them so). */
    q->miscselect = le32_at(misc);
    q->miscselect_mask = le32_at(mask);
    q->version = (int)version;
    q->isvprodid = (uint16_t)prodid;
    return true;
}

dstack_err qe_identity_parse(const char *json, struct qe_identity *q)
{
    cJSON *doc = vjson_parse(json, json ? strlen(json) : 0);
    dstack_err err = DSTACK_EFORMAT;
    memset(q, 0, sizeof *q);
    if (cJSON_IsObject(doc) && parse_fields(doc, q) &&
        tcb_parse_isv_levels(vjson_get(doc, "tcbLevels"), &q->levels, &q->n_levels)) {
        err = DSTACK_OK;
    }
    vjson_free(doc);
    if (err != DSTACK_OK) {
        err_set(err, "Failed to decode QeIdentity");
        qe_identity_clear(q);
    }
    return err;
}

void qe_identity_clear(struct qe_identity *q)
{
    free(q->levels);
    memset(q, 0, sizeof *q);
}
