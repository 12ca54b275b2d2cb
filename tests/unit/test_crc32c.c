/* test_crc32c.c -- CRC-32C against published vectors (RFC 3720 B.4, the
 * "123456789" check value) and against a bit-at-a-time implementation. */
#include "test.h"
#include "crc32c.h"

/* The definition, one bit at a time: reflected polynomial 0x82F63B78. */
static uint32_t crc_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

TEST(crc32c_check_value)
{
    CHECK_INT(fnli_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_INT(fnli_crc32c(0, NULL, 0), 0);
    CHECK_INT(fnli_crc32c(0, "a", 1), 0xC1D04330u);
}

TEST(crc32c_rfc3720_vectors)
{
    unsigned char b[48];
    size_t i;
    static const unsigned char read_pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

    memset(b, 0, 32);
    CHECK_INT(fnli_crc32c(0, b, 32), 0x8A9136AAu);
    memset(b, 0xff, 32);
    CHECK_INT(fnli_crc32c(0, b, 32), 0x62A8AB43u);
    for (i = 0; i < 32; i++)
        b[i] = (unsigned char)i;
    CHECK_INT(fnli_crc32c(0, b, 32), 0x46DD794Eu);
    for (i = 0; i < 32; i++)
        b[i] = (unsigned char)(31 - i);
    CHECK_INT(fnli_crc32c(0, b, 32), 0x113FDB5Cu);
    CHECK_INT(fnli_crc32c(0, read_pdu, 48), 0xD9963A56u);
}

TEST(crc32c_matches_bitwise_at_every_length_and_alignment)
{
    unsigned char buf[1100];
    uint32_t x = 12345;
    size_t i, off, len;
    for (i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (off = 0; off < 8; off++)
        for (len = 0; len <= 300; len++)
            CHECK_INT(fnli_crc32c(0, buf + off, len),
                      crc_bitwise(buf + off, len));
    CHECK_INT(fnli_crc32c(0, buf, 1024), crc_bitwise(buf, 1024));
    /* every table entry is reached when each byte value appears at each
     * of the eight positions of a word */
    for (i = 0; i < 256 * 8 && i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i / 8 + i % 8 * 31);
    CHECK_INT(fnli_crc32c(0, buf, 1096), crc_bitwise(buf, 1096));
}

TEST(crc32c_chains_across_calls)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s), cut;
    uint32_t whole = fnli_crc32c(0, s, n);
    CHECK_INT(whole, 0x22620404u);
    for (cut = 0; cut <= n; cut++)
        CHECK_INT(fnli_crc32c(fnli_crc32c(0, s, cut), s + cut, n - cut),
                  whole);
}

int main(void)
{
    RUN(crc32c_check_value);
    RUN(crc32c_rfc3720_vectors);
    RUN(crc32c_matches_bitwise_at_every_length_and_alignment);
    RUN(crc32c_chains_across_calls);
    TEST_MAIN_END();
}
