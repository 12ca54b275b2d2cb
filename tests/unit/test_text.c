/* test_text.c -- UTF-8 validation, ASCII folding and comparison, trim. */
#include "test.h"
#include "text.h"

#define B(s) s, sizeof(s) - 1

typedef struct utf8_case {
    const char *s;
    size_t n;
    int ok;
    const char *what;
} utf8_case;

static const utf8_case utf8_cases[] = {
    /* valid */
    {B(""), 1, "empty"},
    {B("a"), 1, "one ASCII byte"},
    {B("hello"), 1, "short ASCII"},
    {B("0123456789abcdefghijklmnopqrstuvwxyzABCD"), 1, "40 ASCII bytes"},
    {B("\x01\x7F"), 1, "lowest and highest non-NUL ASCII"},
    {B("\xC2\x80"), 1, "U+0080, smallest 2-byte"},
    {B("\xC2\xA0"), 1, "U+00A0"},
    {B("\xDF\xBF"), 1, "U+07FF, largest 2-byte"},
    {B("\xE0\xA0\x80"), 1, "U+0800, smallest 3-byte"},
    {B("\xE2\x82\xAC"), 1, "euro sign"},
    {B("\xE4\xB8\xAD\xE6\x96\x87"), 1, "Chinese 'zhongwen'"},
    {B("\xED\x9F\xBF"), 1, "U+D7FF, just below surrogates"},
    {B("\xEE\x80\x80"), 1, "U+E000, just above surrogates"},
    {B("\xEF\xBF\xBF"), 1, "U+FFFF"},
    {B("\xEF\xBC\x91"), 1, "full-width digit one"},
    {B("\xF0\x90\x80\x80"), 1, "U+10000, smallest 4-byte"},
    {B("\xF0\x9F\x98\x80"), 1, "emoji"},
    {B("\xF4\x8F\xBF\xBF"), 1, "U+10FFFF, largest"},
    {B("abcdefgh\xE4\xB8\xAD"), 1, "multibyte right after a fast block"},
    {B("abcdefg\xE4\xB8\xAD"), 1, "multibyte straddling a block"},
    {B("Zhang San \xE5\xBC\xA0\xE4\xB8\x89 <zs@example.cn> ok!"), 1,
     "mixed 40-ish bytes"},
    /* stray continuation bytes */
    {B("\x80"), 0, "lone 0x80"},
    {B("\xBF"), 0, "lone 0xBF"},
    {B("a\x80" "b"), 0, "continuation between ASCII"},
    {B("abcdefgh\x80"), 0, "continuation after a fast block"},
    {B("\xE4\xB8\xAD\xAD"), 0, "one continuation too many"},
    /* never-valid lead bytes */
    {B("\xC0\x80"), 0, "0xC0: overlong NUL"},
    {B("\xC0\xAF"), 0, "0xC0: overlong '/'"},
    {B("\xC1\xBF"), 0, "0xC1: overlong 2-byte"},
    {B("\xF5\x80\x80\x80"), 0, "0xF5"},
    {B("\xF7\xBF\xBF\xBF"), 0, "0xF7"},
    {B("\xF8\x88\x80\x80\x80"), 0, "0xF8 5-byte form"},
    {B("\xFC\x84\x80\x80\x80\x80"), 0, "0xFC 6-byte form"},
    {B("\xFE"), 0, "0xFE"},
    {B("\xFF"), 0, "0xFF"},
    /* overlong 3- and 4-byte forms */
    {B("\xE0\x80\x80"), 0, "overlong 3-byte U+0000"},
    {B("\xE0\x80\xAF"), 0, "overlong 3-byte '/'"},
    {B("\xE0\x9F\xBF"), 0, "overlong 3-byte U+07FF"},
    {B("\xF0\x80\x80\x80"), 0, "overlong 4-byte U+0000"},
    {B("\xF0\x8F\xBF\xBF"), 0, "overlong 4-byte U+FFFF"},
    /* surrogates */
    {B("\xED\xA0\x80"), 0, "U+D800"},
    {B("\xED\xAD\xBF"), 0, "U+DB7F"},
    {B("\xED\xB0\x80"), 0, "U+DC00"},
    {B("\xED\xBF\xBF"), 0, "U+DFFF"},
    {B("\xED\xA0\xBD\xED\xB8\x80"), 0, "CESU-8 surrogate pair"},
    /* above U+10FFFF */
    {B("\xF4\x90\x80\x80"), 0, "U+110000"},
    {B("\xF4\xBF\xBF\xBF"), 0, "U+13FFFF"},
    /* truncated at the end */
    {B("\xC2"), 0, "2-byte missing 1"},
    {B("\xE4\xB8"), 0, "3-byte missing 1"},
    {B("\xE4"), 0, "3-byte missing 2"},
    {B("\xF0\x9F\x98"), 0, "4-byte missing 1"},
    {B("\xF0\x9F"), 0, "4-byte missing 2"},
    {B("\xF0"), 0, "4-byte missing 3"},
    {B("abcdefghijk\xE4\xB8"), 0, "truncated after ASCII"},
    /* bad continuation inside a sequence */
    {B("\xC2\x41"), 0, "2-byte with ASCII second"},
    {B("\xC2\xC2\x80"), 0, "2-byte with lead second"},
    {B("\xE4\x41\xAD"), 0, "3-byte bad second"},
    {B("\xE4\xB8\x41"), 0, "3-byte bad third"},
    {B("\xF0\x9F\x41\x80"), 0, "4-byte bad third"},
    {B("\xF0\x9F\x98\x41"), 0, "4-byte bad fourth"},
    {B("\xF0\x41\x98\x80"), 0, "4-byte bad second"},
    /* NUL bytes */
    {B("\0"), 0, "single NUL"},
    {B("a\0b"), 0, "NUL in short string"},
    {B("abcdefg\0hijk"), 0, "NUL inside an 8-byte block"},
    {B("abcdefgh\0"), 0, "NUL after a block"},
    {B("0123456789abcdefghijklmnopqrstuvwxyzABC\0"), 0, "NUL at byte 40"},
    {B("\xE4\xB8\xAD\0"), 0, "NUL after multibyte"},
    /* invalid late in a 40-byte string */
    {B("0123456789abcdefghijklmnopqrstuvwxyzABC\xFF"), 0, "0xFF at byte 40"},
    {B("0123456789abcdefghijklmnopqrstuvwxyzAB\xC3"), 0,
     "truncated at byte 40"},
};

TEST(utf8_table)
{
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const utf8_case *c = &utf8_cases[i];
        int got = fnli_utf8_valid(c->s, c->n);
        if (got != c->ok)
            fprintf(stderr, "utf8 case %zu (%s)\n", i, c->what);
        CHECK_INT(got, c->ok);
    }
}

TEST(utf8_every_offset)
{
    /* An invalid byte is found at every position of a long string, so the
     * fast path cannot skip it. */
    char buf[64];
    for (size_t pos = 0; pos < sizeof buf; pos++) {
        memset(buf, 'x', sizeof buf);
        CHECK_INT(fnli_utf8_valid(buf, sizeof buf), 1);
        buf[pos] = (char)0xFF;
        CHECK_INT(fnli_utf8_valid(buf, sizeof buf), 0);
        buf[pos] = '\0';
        CHECK_INT(fnli_utf8_valid(buf, sizeof buf), 0);
        buf[pos] = (char)0x80;
        CHECK_INT(fnli_utf8_valid(buf, sizeof buf), 0);
    }
    CHECK_INT(fnli_utf8_valid(NULL, 0), 1);
}

TEST(lower_upper)
{
    static const struct { char in, lower, upper; } t[] = {
        {'A', 'a', 'A'}, {'Z', 'z', 'Z'}, {'a', 'a', 'A'}, {'z', 'z', 'Z'},
        {'M', 'm', 'M'}, {'@', '@', '@'}, {'[', '[', '['}, {'`', '`', '`'},
        {'{', '{', '{'}, {'0', '0', '0'}, {'_', '_', '_'},
        {(char)0xC3, (char)0xC3, (char)0xC3},
        {(char)0xE9, (char)0xE9, (char)0xE9},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        CHECK_INT(fnli_lower(t[i].in), t[i].lower);
        CHECK_INT(fnli_upper(t[i].in), t[i].upper);
    }
}

TEST(casecmp_table)
{
    static const struct { const char *a, *b; int sign; } t[] = {
        {"", "", 0},
        {"abc", "ABC", 0},
        {"Zeta", "zetA", 0},
        {"utm_Source", "UTM_SOURCE", 0},
        {"abc", "abd", -1},
        {"abd", "abc", 1},
        {"ab", "abc", -1},
        {"abc", "ab", 1},
        {"a", "", 1},
        {"", "a", -1},
        {"_", "A", -1},    /* '_' 0x5F < 'a' 0x61 after folding */
        {"[", "{", -1},    /* not letters: not folded */
        {"\xC3\xA9", "\xC3\x89", 1}, /* e-acute vs E-acute: no folding */
        {"a\xFF", "A\x01", 1},       /* compared unsigned */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int r = fnli_ascii_casecmp_n(t[i].a, strlen(t[i].a), t[i].b,
                                     strlen(t[i].b));
        int sign = (r > 0) - (r < 0);
        if (sign != t[i].sign)
            fprintf(stderr, "casecmp case %zu\n", i);
        CHECK_INT(sign, t[i].sign);
    }
    /* lengths are honoured, not NULs */
    CHECK_INT(fnli_ascii_casecmp_n("abcX", 3, "ABCY", 3), 0);
    CHECK(fnli_ascii_casecmp_n("abcX", 4, "ABCY", 4) < 0);
    CHECK_INT(fnli_ascii_prefix("Email_Open", 10, "email_"), 1);
    CHECK_INT(fnli_ascii_prefix("emai", 4, "email"), 0);
    CHECK_INT(fnli_ascii_prefix("x", 1, ""), 1);
}

TEST(trim_table)
{
    static const struct { const char *in, *out; } t[] = {
        {"", ""},
        {"a", "a"},
        {"  a  ", "a"},
        {"\t\r\n\v\fa b\f\n", "a b"},
        {"   ", ""},
        {"a  b", "a  b"},
        {"\xC2\xA0x\xC2\xA0", "x"},
        {"\xE3\x80\x80\xE5\xBC\xA0\xE4\xB8\x89\xE3\x80\x80",
         "\xE5\xBC\xA0\xE4\xB8\x89"},
        {" \xE3\x80\x80 \xC2\xA0 a", "a"},
        {"x\xE3\x80\x80\xE3\x80\x80", "x"},
        {"\xE3\x80\x80", ""},
        {"\xC2\xA0\xC2\xA0", ""},
        {"a\xE3\x80\x80" "b", "a\xE3\x80\x80" "b"}, /* inside: kept */
        {"\xE2\x80\x83" "a", "\xE2\x80\x83" "a"},   /* U+2003 not trimmed */
        {"\xC2\xA1", "\xC2\xA1"},                    /* U+00A1 not a space */
        {"\xE3\x80\x81x", "\xE3\x80\x81x"},          /* U+3001 not a space */
        {"\xE3\x80", "\xE3\x80"},                    /* truncated: untouched */
        {"a\xC2", "a\xC2"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *s = t[i].in;
        size_t n = strlen(s);
        fnli_trim(&s, &n);
        size_t en = strlen(t[i].out);
        if (n != en || memcmp(s, t[i].out, n) != 0)
            fprintf(stderr, "trim case %zu: got \"%.*s\"\n", i, (int)n, s);
        CHECK_INT(n, en);
        CHECK(memcmp(s, t[i].out, n) == 0);
    }
    /* the span moves forward within the input */
    const char *in = "  ab ";
    const char *s = in;
    size_t n = 5;
    fnli_trim(&s, &n);
    CHECK(s == in + 2);
    CHECK_INT(n, 2);
}

int main(void)
{
    RUN(utf8_table);
    RUN(utf8_every_offset);
    RUN(lower_upper);
    RUN(casecmp_table);
    RUN(trim_table);
    TEST_MAIN_END();
}
