/* sc_hex_digits (sidecar/sc_hex.c), the vectorised check /quote uses on the agent's quote and
 * attestation hex, against a byte-at-a-time reference: every byte value at every position of
 * the 16-byte blocks and the tail, and random strings of every length up to 100. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sc_hex.h"

static bool reference(const char *s, size_t n, bool lower)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (!lower && c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return n % 2 == 0;
}

static void test_examples(void)
{
    CHECK(sc_hex_digits("", 0, true));
    CHECK(sc_hex_digits("0123456789abcdef0123456789abcdef", 32, true));
    CHECK(!sc_hex_digits("0123456789abcdef0123456789abcdeF", 32, true));
    CHECK(sc_hex_digits("0123456789abcdef0123456789abcdeF", 32, false));
    CHECK(!sc_hex_digits("0123456789abcdef0123456789abcde", 31, false)); /* odd */
    CHECK(!sc_hex_digits("0x12", 4, false));                             /* no prefix here */
    CHECK(!sc_hex_digits("0123456789abcdef0123456789abcdeg", 32, false));
    CHECK(!sc_hex_digits("0123456789abcdef/", 17, false)); /* '0' - 1 */
    CHECK(!sc_hex_digits("0123456789abcdef:", 17, false)); /* '9' + 1 */
    CHECK(!sc_hex_digits("`123456789abcdef0", 16, false)); /* 'a' - 1 */
    CHECK(!sc_hex_digits("@123456789abcdef0", 16, false)); /* 'A' - 1 */
    CHECK(!sc_hex_digits("G123456789abcdef0", 16, false)); /* 'F' + 1 */
    CHECK(!sc_hex_digits("\xe0"
                         "123456789abcdef0",
                         16, false));
}

static void test_every_byte_everywhere(void)
{
    char s[40];
    for (int lower = 0; lower < 2; lower++) {
        for (int c = 0; c < 256; c++) {
            for (size_t pos = 0; pos < sizeof s; pos++) {
                memset(s, 'a', sizeof s);
                s[pos] = (char)c;
                CHECK(sc_hex_digits(s, sizeof s, lower) == reference(s, sizeof s, lower));
            }
        }
    }
}

static void test_random(void)
{
    static const char alphabet[] = "0123456789abcdefABCDEF";
    char s[100];
    unsigned seed = 12345;
    for (int t = 0; t < 200000; t++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof s;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
        }
        seed = seed * 1103515245u + 12345u;
        if (n > 0 && (seed >> 8) % 2 == 0) {
            s[(seed >> 12) % n] = (char)(seed >> 20);
        }
        CHECK(sc_hex_digits(s, n, true) == reference(s, n, true));
        CHECK(sc_hex_digits(s, n, false) == reference(s, n, false));
    }
}

int main(void)
{
    test_examples();
    test_every_byte_everywhere();
    test_random();
    return check_exit();
}
