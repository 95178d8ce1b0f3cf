#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/error.h"
#include "util/file.h"

int main(void)
{
    char dir[] = "/tmp/dstack-file-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    char *text = NULL;
    size_t len = 99;
    bool missing = false;

    snprintf(path, sizeof path, "%s/ok", dir);
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    CHECK(file_read_all(path, 64, &text, &len, NULL) == DSTACK_OK);
    CHECK(len == 6 && strcmp(text, "hello\n") == 0);
    free(text);
    /* over the limit */
    CHECK(file_read_all(path, 5, &text, &len, NULL) == DSTACK_EIO);
    CHECK(text == NULL && strstr(err_text(), path) != NULL &&
          strstr(err_text(), "at most 5 bytes") != NULL);

    snprintf(path, sizeof path, "%s/empty", dir);
    fclose(fopen(path, "w"));
    CHECK(file_read_all(path, 64, &text, &len, NULL) == DSTACK_OK);
    CHECK(len == 0 && text != NULL && text[0] == '\0');
    free(text);

    /* missing: an error, unless the caller accepts it */
    snprintf(path, sizeof path, "%s/absent", dir);
    CHECK(file_read_all(path, 64, &text, &len, NULL) == DSTACK_EIO);
    CHECK(strstr(err_text(), "No such file") != NULL && strstr(err_text(), path) != NULL);
    CHECK(file_read_all(path, 64, &text, &len, &missing) == DSTACK_OK);
    CHECK(missing && text == NULL && len == 0);

    /* a directory and a FIFO are refused, and the FIFO does not block */
    CHECK(file_read_all(dir, 64, &text, &len, &missing) == DSTACK_EIO);
    CHECK(strstr(err_text(), "not a regular file") != NULL);
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(file_read_all(path, 64, &text, &len, NULL) == DSTACK_EIO);
    CHECK(strstr(err_text(), "not a regular file") != NULL);

    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_exit();
}
