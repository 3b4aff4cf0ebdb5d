/*
 * icudump: write the facts Gyrus needs about the ICU converters that real
 * Cyrus 3.6.1 uses for charsets it has no table of its own for.
 *
 *   icudump aliases  > aliases.txt   one "alias<TAB>converter" per line:
 *                                    every alias ICU knows, and the name
 *                                    ucnv_getName() reports once it is opened
 *   icudump sbcs     > sbcs.bin      for every single-byte converter: 1-byte
 *                                    name length, the name, then 256
 *                                    big-endian uint16 code points (what
 *                                    ucnv_toUnicode yields for each byte with
 *                                    the default substitute callback)
 *   icudump sub1     > sub1.txt      the multi-byte converters that turn an
 *                                    incomplete (cut) byte sequence into
 *                                    U+001A instead of U+FFFD (converters with
 *                                    a one-byte substitution character)
 *   icudump pairs NAME               for a converter of at most 2 bytes per
 *                                    character: for every first byte B, what a
 *                                    lone B gives at the end of the input, then
 *                                    for every second byte T whether B T is one
 *                                    sequence (2) or B alone (1) and the code
 *                                    units B's sequence gives (binary, see
 *                                    mbcsgen)
 *   icudump probe NAME...            print "NAME<TAB>converter" or "NAME<TAB>-"
 *
 * Build: cc -o icudump icudump.c -licuuc   (Debian: libicu-dev)
 */
#include <stdio.h>
#include <string.h>
#include <unicode/ucnv.h>

static const char *resolve(const char *name)
{
    static char out[256];
    UErrorCode err = U_ZERO_ERROR;
    UConverter *c = ucnv_open(name, &err);
    if (U_FAILURE(err)) return NULL;
    err = U_ZERO_ERROR;
    snprintf(out, sizeof(out), "%s", ucnv_getName(c, &err));
    ucnv_close(c);
    return out;
}

static int is_single_byte(UConverter *c)
{
    UConverterType t = ucnv_getType(c);
    return t == UCNV_SBCS || t == UCNV_LATIN_1 || t == UCNV_US_ASCII;
}

int main(int argc, char **argv)
{
    int n = ucnv_countAvailable();
    if (argc >= 2 && !strcmp(argv[1], "aliases")) {
        for (int i = 0; i < n; i++) {
            const char *canon = ucnv_getAvailableName(i);
            UErrorCode err = U_ZERO_ERROR;
            int na = ucnv_countAliases(canon, &err);
            const char *r = resolve(canon);
            if (r) printf("%s\t%s\n", canon, r);
            for (int j = 0; j < na; j++) {
                err = U_ZERO_ERROR;
                const char *a = ucnv_getAlias(canon, (uint16_t)j, &err);
                if (U_FAILURE(err) || !a) continue;
                r = resolve(a);
                if (r) printf("%s\t%s\n", a, r);
            }
        }
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "sbcs")) {
        for (int i = 0; i < n; i++) {
            const char *name = ucnv_getAvailableName(i);
            UErrorCode err = U_ZERO_ERROR;
            UConverter *c = ucnv_open(name, &err);
            if (U_FAILURE(err)) continue;
            if (!is_single_byte(c)) { ucnv_close(c); continue; }
            err = U_ZERO_ERROR;
            const char *gn = ucnv_getName(c, &err);
            unsigned char len = (unsigned char)strlen(gn);
            fwrite(&len, 1, 1, stdout);
            fwrite(gn, 1, len, stdout);
            for (int b = 0; b < 256; b++) {
                char src[1] = { (char)b };
                UChar dst[4];
                const char *s = src;
                UChar *d = dst;
                ucnv_reset(c);
                err = U_ZERO_ERROR;
                ucnv_toUnicode(c, &d, dst + 4, &s, src + 1, NULL, 1, &err);
                unsigned cp = (d - dst == 1) ? dst[0] : 0xfffd;
                unsigned char be[2] = { (unsigned char)(cp >> 8), (unsigned char)cp };
                fwrite(be, 1, 2, stdout);
            }
            ucnv_close(c);
        }
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "sub1")) {
        for (int i = 0; i < n; i++) {
            const char *name = ucnv_getAvailableName(i);
            UErrorCode err = U_ZERO_ERROR;
            UConverter *c = ucnv_open(name, &err);
            if (U_FAILURE(err)) continue;
            UConverterType t = ucnv_getType(c);
            if (t != UCNV_MBCS && t != UCNV_DBCS) { ucnv_close(c); continue; }
            int sub1 = 0;
            for (int b = 0x80; b < 0x100 && !sub1; b++) {
                char src[1] = { (char)b };
                UChar dst[4];
                const char *s = src;
                UChar *d = dst;
                ucnv_reset(c);
                err = U_ZERO_ERROR;
                ucnv_toUnicode(c, &d, dst + 4, &s, src + 1, NULL, 1, &err);
                if (d - dst == 1 && dst[0] == 0x1a) sub1 = 1;
            }
            if (sub1) {
                err = U_ZERO_ERROR;
                printf("%s\n", ucnv_getName(c, &err));
            }
            ucnv_close(c);
        }
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "pairs")) {
        UErrorCode err = U_ZERO_ERROR;
        UConverter *c = ucnv_open(argv[2], &err);
        if (U_FAILURE(err) || ucnv_getMaxCharSize(c) != 2) {
            fprintf(stderr, "icudump: %s: not a 2-byte converter\n", argv[2]);
            return 65;
        }
        for (int b = 0; b < 256; b++) {
            for (int t = -1; t < 256; t++) {
                char src[2] = { (char)b, (char)t };
                int srclen = t < 0 ? 1 : 2;
                UChar dst[16];
                int32_t offs[16];
                const char *s = src;
                UChar *d = dst;
                ucnv_reset(c);
                err = U_ZERO_ERROR;
                ucnv_toUnicode(c, &d, dst + 16, &s, src + srclen, offs, 1, &err);
                int n = (int)(d - dst), k = 0;
                while (k < n && offs[k] == 0) k++;
                unsigned char hdr[2] = { (unsigned char)(t < 0 || k == n ? srclen : 1), (unsigned char)k };
                fwrite(hdr, 1, 2, stdout);
                for (int i = 0; i < k; i++) {
                    unsigned char be[2] = { (unsigned char)(dst[i] >> 8), (unsigned char)dst[i] };
                    fwrite(be, 1, 2, stdout);
                }
            }
        }
        ucnv_close(c);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "probe")) {
        for (int i = 2; i < argc; i++) {
            const char *r = resolve(argv[i]);
            printf("%s\t%s\n", argv[i], r ? r : "-");
        }
        return 0;
    }
    fprintf(stderr, "usage: icudump aliases|sbcs|sub1|probe NAME...\n");
    return 64;
}
