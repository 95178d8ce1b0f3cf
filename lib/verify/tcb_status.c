/* TCB status names, their order of severity and the merge rule (dcap-qvl src/tcb_info.rs
 * TcbStatus::severity and TcbStatusWithAdvisory::merge): the worse status wins and the
 * advisory IDs are the union, first operand's first, without duplicates. */
#include "dcap.h"

#include <string.h>

static const char *const severity_order[] = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "Revoked",
};

int tcb_status_severity(const char *status)
{
    for (size_t i = 0; i < sizeof severity_order / sizeof severity_order[0]; i++) {
        if (strcmp(status, severity_order[i]) == 0) {
            return (int)i;
        }
    }
    return 100; /* an unknown name is treated as the worst, and as invalid */
}

bool tcb_status_is_valid(const char *status)
{
    int s = tcb_status_severity(status);
    return s <= 5;
}

void tcb_status_merge(struct tcb_status *into, const struct tcb_status *other)
{
    if (tcb_status_severity(other->status) > tcb_status_severity(into->status)) {
        memcpy(into->status, other->status, sizeof into->status);
    }
    for (size_t i = 0; i < other->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < into->n && !seen; k++) {
            seen = strcmp(into->ids[k], other->ids[i]) == 0;
        }
        if (!seen && into->n < DSTACK_ADVISORIES_MAX) {
            memcpy(into->ids[into->n++], other->ids[i], DSTACK_ADVISORY_ID_MAX);
        }
    }
}
