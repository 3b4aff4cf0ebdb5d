/*
 * cyruscharset: run REAL Cyrus 3.6.1's charset library (libcyrus, the
 * search normalisation used by imapd) on inputs, as an oracle for
 * gyrus/lib/charset.
 *
 * Build (Debian 12 with cyrus-common installed):
 *   L=/usr/lib/x86_64-linux-gnu
 *   cc -o cyruscharset cyruscharset.c $L/libcyrus.so.0 $L/libcyrus_min.so.0
 *
 * Modes:
 *   cyruscharset table
 *       one line "CP HEX..." for every code point whose search form
 *       (flags 0) is not the code point itself (CP in hex, the search
 *       form as hex code points; "-" for an empty search form).
 *   cyruscharset blocks
 *       the numbers (hex) of the 256-code-point blocks that Cyrus's
 *       translation table covers.
 *   cyruscharset conv FLAGS CHARSET      (stdin: one hex string a line)
 *       the search form of each line read in CHARSET, as hex.
 *   cyruscharset mimeheader FLAGS        (stdin: hex lines)
 *       charset_decode_mimeheader of each line, as hex.
 *   cyruscharset searchfile FLAGS CHARSET ENC PATTERNHEX  (stdin: hex lines)
 *       1 or 0: charset_searchfile of each line for the pattern (already
 *       in search form).
 *   cyruscharset searchheader FLAGS PATTERNHEX    (stdin: hex lines)
 *       1 or 0: charset_search_mimeheader.
 * FLAGS is a decimal CHARSET_* bit mask.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct charset_charset *charset_t;
typedef struct comp_pat_s comp_pat;
extern charset_t charset_lookupname(const char *name);
extern void charset_free(charset_t *cs);
extern char *charset_convert(const char *s, charset_t cs, int flags);
extern char *charset_utf8_to_searchform(const char *s, int flags);
extern char *charset_decode_mimeheader(const char *s, int flags);
extern comp_pat *charset_compilepat(const char *s);
extern int charset_searchfile(const char *substr, comp_pat *pat,
                              const char *msg_base, size_t len,
                              charset_t charset, int encoding, int flags);
extern int charset_search_mimeheader(const char *substr, comp_pat *pat,
                                     const char *s, int flags);

/* libcyrus calls back into the program for fatal errors */
void fatal(const char *s, int code)
{
    fprintf(stderr, "cyruscharset: fatal: %s\n", s);
    exit(code ? code : 1);
}

static int put_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) { out[0] = cp; return 1; }
    if (cp < 0x800) { out[0] = 0xc0 | (cp >> 6); out[1] = 0x80 | (cp & 0x3f); return 2; }
    if (cp < 0x10000) {
        out[0] = 0xe0 | (cp >> 12); out[1] = 0x80 | ((cp >> 6) & 0x3f);
        out[2] = 0x80 | (cp & 0x3f); return 3;
    }
    out[0] = 0xf0 | (cp >> 18); out[1] = 0x80 | ((cp >> 12) & 0x3f);
    out[2] = 0x80 | ((cp >> 6) & 0x3f); out[3] = 0x80 | (cp & 0x3f); return 4;
}

/* decode UTF-8 (valid, from Cyrus's own output) into code points */
static int get_utf8(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned c = *s++;
    int n = 0;
    if (c >= 0xf0) { c &= 7; n = 3; }
    else if (c >= 0xe0) { c &= 15; n = 2; }
    else if (c >= 0xc0) { c &= 31; n = 1; }
    while (n-- > 0 && *s) c = (c << 6) | (*s++ & 0x3f);
    *p = s;
    return c;
}

static size_t unhex(const char *h, char *out)
{
    size_t n = 0;
    while (h[0] && h[1] && h[0] != '\n') {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = v;
        h += 2;
    }
    out[n] = 0;
    return n;
}

static void hexout(const char *s)
{
    if (!s) { printf("NULL\n"); return; }
    for (; *s; s++) printf("%02x", (unsigned char)*s);
    printf("\n");
}

int main(int argc, char **argv)
{
    static char line[1 << 20], buf[1 << 20];
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "table")) {
        unsigned cp;
        for (cp = 1; cp <= 0x10ffff; cp++) {
            char in[8];
            if (cp >= 0xd800 && cp <= 0xdfff) continue;
            in[put_utf8(cp, in)] = 0;
            char *out = charset_utf8_to_searchform(in, 0);
            const unsigned char *p = (const unsigned char *)out;
            unsigned first = *p ? get_utf8(&p) : 0;
            if (!out[0] || first != cp || *p) {
                printf("%x", cp);
                p = (const unsigned char *)out;
                if (!*p) printf(" -");
                while (*p) printf(" %x", get_utf8(&p));
                printf("\n");
            }
            free(out);
        }
        return 0;
    }
    if (!strcmp(argv[1], "blocks")) {
        /* the 256-code-point blocks Cyrus's translation table covers:
         * outside them a character passes through without ending a run
         * of merged spaces */
        unsigned b;
        for (b = 0; b < 0x1100; b++) {
            char in[16], want[16];
            unsigned cp = (b << 8) | 0x41;
            int n;
            in[0] = ' ';
            n = 1 + put_utf8(cp, in + 1);
            memcpy(want, in, n);
            want[n] = 0;
            if (b >= 0xd8 && b <= 0xdf) /* a surrogate comes out as U+FFFD */
                strcpy(want, " \xef\xbf\xbd");
            in[n] = ' ';
            in[n + 1] = 0;
            char *out = charset_utf8_to_searchform(in, 4 /* MERGESPACE */);
            if (strcmp(out, want)) printf("%x\n", b);
            free(out);
        }
        return 0;
    }
    int flags = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(argv[1], "conv") && argc == 4) {
        charset_t cs = charset_lookupname(argv[3]);
        if (!cs) { printf("UNKNOWN\n"); return 0; }
        while (fgets(line, sizeof(line), stdin)) {
            unhex(line, buf);
            char *out = charset_convert(buf, cs, flags);
            hexout(out);
            free(out);
            fflush(stdout);
        }
        return 0;
    }
    if (!strcmp(argv[1], "mimeheader")) {
        while (fgets(line, sizeof(line), stdin)) {
            unhex(line, buf);
            char *out = charset_decode_mimeheader(buf, flags);
            hexout(out);
            free(out);
            fflush(stdout);
        }
        return 0;
    }
    if (!strcmp(argv[1], "searchfile") && argc == 6) {
        charset_t cs = charset_lookupname(argv[3]);
        int enc = atoi(argv[4]);
        static char pat[4096];
        unhex(argv[5], pat);
        comp_pat *cp = charset_compilepat(pat);
        while (fgets(line, sizeof(line), stdin)) {
            size_t n = unhex(line, buf);
            printf("%d\n", charset_searchfile(pat, cp, buf, n, cs, enc, flags) ? 1 : 0);
            fflush(stdout);
        }
        return 0;
    }
    if (!strcmp(argv[1], "searchheader") && argc == 4) {
        static char pat[4096];
        unhex(argv[3], pat);
        comp_pat *cp = charset_compilepat(pat);
        while (fgets(line, sizeof(line), stdin)) {
            unhex(line, buf);
            printf("%d\n", charset_search_mimeheader(pat, cp, buf, flags) ? 1 : 0);
            fflush(stdout);
        }
        return 0;
    }
    return 2;
}
