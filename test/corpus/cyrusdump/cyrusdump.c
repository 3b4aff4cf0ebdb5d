/*
 * cyrusdump: run REAL Cyrus 3.6.1's message parser (libcyrus_imap, the
 * library imapd/lmtpd/reconstruct use) on message files and print what it
 * would store: the cyrus.cache entry and the index record fields.
 *
 * It is a fast oracle for differential testing of gyrus/lib/message: the
 * same functions write the cache when Cyrus delivers a message
 * (message_parse_mapped + message_create_record -> message_write_cache).
 *
 * Build (Debian 12 with cyrus-common installed, e.g. by cyrus-ref install):
 *   L=/usr/lib/x86_64-linux-gnu
 *   cc -o cyrusdump cyrusdump.c $L/libcyrus_imap.so.0 $L/libcyrus_sieve.so.0 \
 *      $L/libcyrus.so.0 $L/libcyrus_min.so.0
 * Run:
 *   cyrusdump IMAPD.CONF FILE...
 * For each FILE, one line:
 *   FILE <TAB> sentdate <TAB> gmtime <TAB> size <TAB> header_size <TAB>
 *   guid-hex <TAB> cache_crc <TAB> cache-entry-hex
 * (sentdate/gmtime as time_t before Cyrus's internaldate fallback).
 *
 * The structures below are Cyrus 3.6.1's struct index_record and friends
 * (imap/mailbox.h, lib/util.h), restated for this ABI.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct buf { char *s; size_t len; size_t alloc; unsigned flags; };
struct cacheitem { size_t offset; size_t len; };
struct cacherecord { const struct buf *buf; size_t offset; size_t len; struct cacheitem item[10]; };
struct message_guid { int status; unsigned char value[20]; };
struct index_record {
    uint32_t uid;
    time_t internaldate;
    time_t sentdate;
    uint32_t size;
    uint32_t header_size;
    time_t gmtime;
    size_t cache_offset;
    time_t last_updated;
    uint32_t system_flags;
    uint32_t internal_flags;
    uint32_t user_flags[4];
    time_t savedate;
    uint16_t cache_version;
    struct message_guid guid;
    uint64_t modseq;
    uint64_t cid;
    uint64_t createdmodseq;
    uint32_t cache_crc;
    uint32_t recno;
    unsigned silentupdate:1;
    unsigned ignorelimits:1;
    uint64_t basecid;
    struct cacherecord crec;
};

extern int cyrus_init(const char *alt_config, const char *ident, unsigned flags, int config_need_data);
extern int message_parse_mapped(const char *base, unsigned long len, void *body, const char *efname);
/* imap/message.h struct body, up to the fields used here */
struct body {
    char *type, *subtype;
    void *params;
    char *id, *description, *encoding, *md5, *disposition;
    void *disposition_params, *language;
    char *location;
    int charset_enc;
    char *charset_id, *part_id;
    uint32_t header_offset, header_size, header_lines;
    uint32_t content_offset, content_size, content_lines;
    uint32_t boundary_size, boundary_lines;
    struct message_guid content_guid;
    int numparts;
    struct body *subpart;
    uint32_t filesize;
    char *date, *subject;
    void *from, *sender, *reply_to, *to, *cc, *bcc;
    char *in_reply_to, *message_id, *x_me_message_id, *references;
    char *received_date, *x_deliveredinternaldate;
    struct buf cacheheaders;
    char *decoded_body;
    uint32_t decoded_content_size;
    struct message_guid guid;
};

extern int message_write_cache(struct index_record *record, const struct body *body);
extern int time_from_rfc5322(const char *s, time_t *date, int mode); /* 0 date only, 1 full */
extern void message_free_body(struct body *body);

/* Symbols the library expects its program to provide. */
void *cyrus_mutex_alloc(void) { return malloc(1); }
int cyrus_mutex_lock(void *m) { (void)m; return 0; }
int cyrus_mutex_unlock(void *m) { (void)m; return 0; }
void cyrus_mutex_free(void *m) { free(m); }

void fatal(const char *s, int code)
{
    fprintf(stderr, "cyrusdump: fatal: %s\n", s);
    _exit(code);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cyrusdump IMAPD.CONF FILE...\n");
        return 64;
    }
    if (cyrus_init(argv[1], "cyrusdump", 0, 0)) {
        fprintf(stderr, "cyrusdump: cannot read %s\n", argv[1]);
        return 78;
    }
    for (int i = 2; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) { perror(argv[i]); return 66; }
        if (st.st_size == 0) { printf("%s\tEMPTY\n", argv[i]); close(fd); continue; }
        char *base = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) { perror("mmap"); return 71; }
        struct body *body = calloc(1, sizeof(struct body) + 4096);
        struct index_record rec;
        memset(&rec, 0, sizeof rec);
        message_parse_mapped(base, st.st_size, body, argv[i]);
        /* what message_create_record() does (it is not exported) */
        if (time_from_rfc5322(body->date, &rec.sentdate, 0) < 0) rec.sentdate = 0;
        if (time_from_rfc5322(body->date, &rec.gmtime, 1) < 0) rec.gmtime = 0;
        rec.size = body->filesize;
        rec.header_size = body->header_size;
        memcpy(&rec.guid, &body->guid, sizeof rec.guid);
        message_write_cache(&rec, body);
        printf("%s\t%lld\t%lld\t%u\t%u\t", argv[i], (long long)rec.sentdate,
               (long long)rec.gmtime, rec.size, rec.header_size);
        for (int k = 0; k < 20; k++) printf("%02x", rec.guid.value[k]);
        printf("\t%u\t", rec.cache_crc);
        const unsigned char *c = (const unsigned char *)rec.crec.buf->s + rec.crec.offset;
        for (size_t k = 0; k < rec.crec.len; k++) printf("%02x", c[k]);
        printf("\n");
        message_free_body(body);
        free(body);
        munmap(base, st.st_size);
        close(fd);
    }
    return 0;
}
