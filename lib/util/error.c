#include <dstack/common.h>

#define DSTACK_ERR_MSG(name, msg) [name] = msg,
static const char *const dstack_err_messages[] = {DSTACK_ERRORS(DSTACK_ERR_MSG)};
#undef DSTACK_ERR_MSG

const char *dstack_err_str(dstack_err err)
{
    if ((unsigned)err >= DSTACK_ERR_COUNT) {
        return "unknown error";
    }
    return dstack_err_messages[err];
}
