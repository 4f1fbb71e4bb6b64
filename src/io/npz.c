/* NumPy .npz files: a zip archive whose members are .npy images named "<array>.npy".
 *
 * Only what np.savez / np.savez_compressed (Python's zipfile) produce is read: members stored
 * (method 0) or deflated (method 8), no encryption, optionally with zip64 records (numpy opens
 * every member with force_zip64, and large archives need zip64 sizes and offsets). Members are
 * found through the central directory, which is authoritative; the local header is only used to
 * find where the member's data starts. Every offset and size read from the file is checked
 * against the buffer before use, because the input may be anything (see fuzz/). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lrnn/io.h"

enum {
    EOCD_SIZE = 22, /* end of central directory record, without comment */
    ZIP64_LOCATOR_SIZE = 20,
    ZIP64_EOCD_SIZE = 56,
    CDIR_ENTRY_SIZE = 46, /* central directory file header, without name/extra/comment */
    LOCAL_HEADER_SIZE = 30,
    NAME_CAP = 512,  /* member names longer than this are reported truncated */
    LIST_CAP = 1024, /* room for "available: a, b, ..." in messages */
};

#define SIG_EOCD 0x06054b50u
#define SIG_ZIP64_LOCATOR 0x07064b50u
#define SIG_ZIP64_EOCD 0x06064b50u
#define SIG_CDIR 0x02014b50u
#define SIG_LOCAL 0x04034b50u

/* Deflate cannot expand data by more than about 1032:1, so a member that claims more is
 * corrupt; the bound keeps a forged size from making us allocate gigabytes. */
#define DEFLATE_MAX_RATIO 1032u
/* One member is one array: the largest readable array plus room for its header. */
#define NPZ_MEMBER_MAX (LRNN_ARRAY_MAX_ELEMENTS * 8 + ((size_t)1 << 20))

typedef struct zip_view {
    const unsigned char *b;
    size_t size;
    const char *name; /* archive name, for messages */
} zip_view;

/* One central directory entry, sizes already widened by any zip64 extra field. */
typedef struct zip_entry {
    const char *fname; /* not NUL-terminated; points into the archive */
    size_t fname_len;
    unsigned flags, method;
    uint32_t crc;
    uint64_t csize, usize, local_offset;
} zip_entry;

typedef struct zip_dir {
    uint64_t count;  /* entries */
    uint64_t offset; /* of the first entry */
    uint64_t size;   /* bytes of all entries */
} zip_dir;

static uint32_t get16(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const unsigned char *p) {
    return get16(p) | get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* 1 when [off, off + len) lies inside the archive (overflow-safe). */
static int in_bounds(const zip_view *z, uint64_t off, uint64_t len) {
    return off <= z->size && len <= z->size - off;
}

/* ---- end of central directory ---- */

/* The EOCD sits at the end, followed only by a comment of at most 65535 bytes; scan backwards
 * for a signature whose comment length reaches exactly the end of the file, falling back to the
 * last signature found (some writers get the comment length wrong). */
static lrnn_status find_eocd(const zip_view *z, size_t *at) {
    if (z->size < EOCD_SIZE)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: truncated or not a zip archive (%zu bytes)", z->name,
                         z->size);
    size_t lowest = z->size - EOCD_SIZE > 65535 ? z->size - EOCD_SIZE - 65535 : 0;
    size_t fallback = SIZE_MAX;
    for (size_t p = z->size - EOCD_SIZE + 1; p-- > lowest;) {
        if (get32(z->b + p) != SIG_EOCD) continue;
        if (p + EOCD_SIZE + get16(z->b + p + 20) == z->size) {
            *at = p;
            return LRNN_OK;
        }
        if (fallback == SIZE_MAX) fallback = p;
    }
    if (fallback == SIZE_MAX)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: not a zip archive or truncated: no end-of-central-directory record",
                         z->name);
    *at = fallback;
    return LRNN_OK;
}

/* Archives with more than 65535 members or offsets past 4 GiB keep the true values in a zip64
 * end record, found through the locator right before the classic one. */
static lrnn_status read_zip64_eocd(const zip_view *z, size_t eocd, zip_dir *dir) {
    if (eocd < ZIP64_LOCATOR_SIZE || get32(z->b + eocd - ZIP64_LOCATOR_SIZE) != SIG_ZIP64_LOCATOR)
        return LRNN_OK; /* 0xFFFF.. were real values, not zip64 markers */
    uint64_t off = get64(z->b + eocd - ZIP64_LOCATOR_SIZE + 8);
    if (!in_bounds(z, off, ZIP64_EOCD_SIZE) || get32(z->b + off) != SIG_ZIP64_EOCD)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt zip64 end-of-central-directory record",
                         z->name);
    dir->count = get64(z->b + off + 32);
    dir->size = get64(z->b + off + 40);
    dir->offset = get64(z->b + off + 48);
    return LRNN_OK;
}

static lrnn_status read_dir(const zip_view *z, zip_dir *dir) {
    size_t eocd = 0;
    lrnn_status s = find_eocd(z, &eocd);
    if (s != LRNN_OK) return s;
    const unsigned char *e = z->b + eocd;
    dir->count = get16(e + 10);
    dir->size = get32(e + 12);
    dir->offset = get32(e + 16);
    if (dir->count == 0xFFFF || dir->size == 0xFFFFFFFFu || dir->offset == 0xFFFFFFFFu) {
        s = read_zip64_eocd(z, eocd, dir);
        if (s != LRNN_OK) return s;
    }
    if (!in_bounds(z, dir->offset, dir->size))
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: truncated zip archive: central directory (%llu bytes at offset "
                         "%llu) lies past the end of the %zu-byte file",
                         z->name, (unsigned long long)dir->size, (unsigned long long)dir->offset,
                         z->size);
    return LRNN_OK;
}

/* ---- central directory entries ---- */

/* Zip64 extra field (id 1): 8-byte values present only for the fields whose 32-bit slot holds
 * 0xFFFFFFFF, in the order uncompressed size, compressed size, local header offset. */
static lrnn_status apply_zip64_extra(const zip_view *z, const unsigned char *x, size_t xlen,
                                     zip_entry *e, uint32_t raw_u, uint32_t raw_c, uint32_t raw_o) {
    while (xlen >= 4) {
        unsigned id = get16(x), len = get16(x + 2);
        if (len > xlen - 4) break; /* malformed extras: leave the 32-bit values */
        if (id == 1) {
            const unsigned char *v = x + 4;
            size_t left = len;
            uint64_t *slots[3] = {&e->usize, &e->csize, &e->local_offset};
            uint32_t raws[3] = {raw_u, raw_c, raw_o};
            for (int k = 0; k < 3; k++) {
                if (raws[k] != 0xFFFFFFFFu) continue;
                if (left < 8)
                    return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt zip64 extra field", z->name);
                *slots[k] = get64(v);
                v += 8;
                left -= 8;
            }
            return LRNN_OK;
        }
        x += 4 + len;
        xlen -= 4 + len;
    }
    return LRNN_OK;
}

/* Parse the entry at *pos (within the directory ending at `end`) and advance *pos. */
static lrnn_status read_entry(const zip_view *z, uint64_t *pos, uint64_t end, zip_entry *e) {
    if (end - *pos < CDIR_ENTRY_SIZE || get32(z->b + *pos) != SIG_CDIR)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt zip central directory at offset %llu",
                         z->name, (unsigned long long)*pos);
    const unsigned char *h = z->b + *pos;
    size_t nlen = get16(h + 28), xlen = get16(h + 30), clen = get16(h + 32);
    if (end - *pos - CDIR_ENTRY_SIZE < (uint64_t)nlen + xlen + clen)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt zip central directory at offset %llu",
                         z->name, (unsigned long long)*pos);
    e->flags = get16(h + 8);
    e->method = get16(h + 10);
    e->crc = get32(h + 16);
    uint32_t raw_c = get32(h + 20), raw_u = get32(h + 24), raw_o = get32(h + 42);
    e->csize = raw_c;
    e->usize = raw_u;
    e->local_offset = raw_o;
    e->fname = (const char *)h + CDIR_ENTRY_SIZE;
    e->fname_len = nlen;
    *pos += CDIR_ENTRY_SIZE + nlen + xlen + clen;
    return apply_zip64_extra(z, h + CDIR_ENTRY_SIZE + nlen, xlen, e, raw_u, raw_c, raw_o);
}

/* Visit every entry; `visit` returns 1 to stop early. */
typedef int (*entry_fn)(const zip_entry *e, void *ctx);

static lrnn_status walk_dir(const zip_view *z, const zip_dir *dir, entry_fn visit, void *ctx) {
    uint64_t pos = dir->offset, end = dir->offset + dir->size;
    for (uint64_t i = 0; i < dir->count; i++) {
        zip_entry e;
        lrnn_status s = read_entry(z, &pos, end, &e);
        if (s != LRNN_OK) return s;
        if (visit(&e, ctx)) break;
    }
    return LRNN_OK;
}

/* "<array>" for "<array>.npy", else the member name itself. */
static size_t array_name_len(const zip_entry *e) {
    size_t n = e->fname_len;
    return n >= 4 && memcmp(e->fname + n - 4, ".npy", 4) == 0 ? n - 4 : n;
}

/* Member names come from the file: copy them for messages with control and non-ASCII bytes
 * replaced, so a hostile name cannot garble a terminal or a log. */
static void printable_name(char *dst, size_t cap, const char *src, size_t len) {
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    dst[n] = '\0';
}

typedef struct find_ctx {
    const char *member; /* NULL: take the only entry */
    zip_entry found;
    int hits;
    char list[LIST_CAP]; /* names seen, for "available: ..." */
    size_t list_len;
} find_ctx;

static void list_append(find_ctx *f, const zip_entry *e) {
    if (f->list_len + 8 >= sizeof f->list) return;
    char shown[NAME_CAP];
    printable_name(shown, sizeof shown, e->fname, array_name_len(e));
    int n = snprintf(f->list + f->list_len, sizeof f->list - f->list_len, "%s%s",
                     f->list_len ? ", " : "", shown);
    if (n < 0) return;
    f->list_len += (size_t)n;
    if (f->list_len >= sizeof f->list - 8) {
        f->list_len = sizeof f->list - 8;
        memcpy(f->list + f->list_len, ", ...", 6);
        f->list_len = sizeof f->list; /* full: no more appends */
    }
}

/* A member is asked for by array name ("x") or by its full member name ("x.npy"). Like Python's
 * zipfile, a later entry of the same name wins. */
static int find_visit(const zip_entry *e, void *ctx) {
    find_ctx *f = ctx;
    list_append(f, e);
    if (f->member) {
        size_t m = strlen(f->member);
        int match =
            (array_name_len(e) == m || e->fname_len == m) && memcmp(e->fname, f->member, m) == 0;
        if (!match) return 0;
    }
    f->found = *e;
    f->hits++;
    return 0;
}

/* ---- member data ---- */

static uint32_t crc_of(const unsigned char *p, size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n) {
        uInt chunk = n > UINT_MAX ? UINT_MAX : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

/* Raw deflate (no zlib header: windowBits -15) of exactly `usize` bytes. */
static lrnn_status inflate_member(const char *mname, const unsigned char *src, size_t csize,
                                  unsigned char *dst, size_t usize) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot initialise zlib", mname);
    size_t in_left = csize, out_left = usize;
    zs.next_in = (Bytef *)(uintptr_t)src; /* zlib's API is not const-correct */
    zs.next_out = dst;
    int rc;
    for (;;) {
        /* zlib counts in uInt; feed large members in pieces. */
        if (zs.avail_in == 0 && in_left) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (zs.avail_out == 0 && out_left) {
            zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            out_left -= zs.avail_out;
        }
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_OK) continue;
        /* No progress possible: only a refill of either side can help. */
        if (rc == Z_BUF_ERROR && ((zs.avail_in == 0 && in_left) || (zs.avail_out == 0 && out_left)))
            continue;
        break;
    }
    int out_full = zs.avail_out == 0 && out_left == 0;
    size_t produced = usize - out_left - zs.avail_out;
    char why[96];
    snprintf(why, sizeof why, "%s", zs.msg ? zs.msg : "zlib error");
    inflateEnd(&zs);
    if (rc == Z_STREAM_END && produced == usize) return LRNN_OK;
    if (rc == Z_STREAM_END)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: corrupt deflate data: %zu bytes instead of the declared %zu", mname,
                         produced, usize);
    if (rc == Z_BUF_ERROR && out_full)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: corrupt deflate data: more than the declared %zu bytes", mname,
                         usize);
    if (rc == Z_BUF_ERROR) return lrnn_fail(LRNN_ERR_FORMAT, "%s: truncated deflate data", mname);
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt deflate data (%s)", mname, why);
}

/* Locate a member's bytes via its local header and check what the directory claims. */
static lrnn_status member_span(const zip_view *z, const zip_entry *e, const char *mname,
                               const unsigned char **data) {
    if (e->flags & 0x41u) /* bit 0: encrypted; bit 6: strong encryption */
        return lrnn_fail(LRNN_ERR_UNSUPPORTED, "%s: encrypted zip members are not supported",
                         mname);
    if (e->method != 0 && e->method != 8)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: unsupported zip compression method %u (lrnn reads stored and "
                         "deflated members, as np.savez and np.savez_compressed write)",
                         mname, e->method);
    if (!in_bounds(z, e->local_offset, LOCAL_HEADER_SIZE) ||
        get32(z->b + e->local_offset) != SIG_LOCAL)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: corrupt zip archive: bad local header at %llu",
                         mname, (unsigned long long)e->local_offset);
    const unsigned char *lh = z->b + e->local_offset;
    uint64_t start = e->local_offset + LOCAL_HEADER_SIZE + get16(lh + 26) + get16(lh + 28);
    if (!in_bounds(z, start, e->csize))
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: truncated zip archive: member data (%llu bytes) runs past the end "
                         "of the %zu-byte file",
                         mname, (unsigned long long)e->csize, z->size);
    if (e->usize > NPZ_MEMBER_MAX)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: absurd member size of %llu bytes", mname,
                         (unsigned long long)e->usize);
    if (e->method == 0 && e->csize != e->usize)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: corrupt zip archive: stored member of %llu bytes claims %llu", mname,
                         (unsigned long long)e->csize, (unsigned long long)e->usize);
    if (e->method == 8 && e->usize > e->csize * DEFLATE_MAX_RATIO + 1024)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: corrupt zip archive: %llu compressed bytes cannot inflate to the "
                         "declared %llu",
                         mname, (unsigned long long)e->csize, (unsigned long long)e->usize);
    *data = z->b + start;
    return LRNN_OK;
}

/* Verify and decode one member. Stored members are parsed in place; deflated ones are
 * inflated into a temporary buffer first. */
static lrnn_status read_member(const zip_view *z, const zip_entry *e, lrnn_array *out) {
    char shown[NAME_CAP], mname[4096 + NAME_CAP];
    printable_name(shown, sizeof shown, e->fname, e->fname_len);
    snprintf(mname, sizeof mname, "%s:%s", z->name, shown);
    const unsigned char *data = NULL;
    lrnn_status s = member_span(z, e, mname, &data);
    if (s != LRNN_OK) return s;
    size_t usize = (size_t)e->usize;
    unsigned char *plain = NULL;
    if (e->method == 8) {
        plain = malloc(usize ? usize : 1);
        if (!plain) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu bytes", mname, usize);
        s = inflate_member(mname, data, (size_t)e->csize, plain, usize);
        if (s != LRNN_OK) {
            free(plain);
            return s;
        }
        data = plain;
    }
    uint32_t crc = crc_of(data, usize);
    if (crc != e->crc)
        s = lrnn_fail(LRNN_ERR_FORMAT,
                      "%s: CRC mismatch (archive says %08x, data gives %08x): the file is corrupt",
                      mname, (unsigned)e->crc, (unsigned)crc);
    else
        s = lrnn_npy_parse(data, usize, mname, out);
    free(plain);
    return s;
}

lrnn_status lrnn_npz_parse(const void *bytes, size_t size, const char *name, const char *member,
                           lrnn_array *out) {
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "lrnn_npz_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (!bytes && size) return lrnn_fail(LRNN_ERR_ARG, "%s: bytes is NULL", name);
    if (size == 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: empty file, not an .npz archive", name);
    zip_view z = {bytes, size, name};
    zip_dir dir;
    lrnn_status s = read_dir(&z, &dir);
    if (s != LRNN_OK) return s;
    find_ctx *f = calloc(1, sizeof *f);
    if (!f) return lrnn_fail(LRNN_ERR_NOMEM, "%s: out of memory", name);
    f->member = member;
    s = walk_dir(&z, &dir, find_visit, f);
    if (s == LRNN_OK) {
        if (member && f->hits == 0)
            s = lrnn_fail(LRNN_ERR_ARG, "%s: no array '%s' in the archive; available: %s", name,
                          member, f->list_len ? f->list : "(none)");
        else if (!member && f->hits == 0)
            s = lrnn_fail(LRNN_ERR_FORMAT, "%s: empty .npz archive: it holds no arrays", name);
        else if (!member && f->hits > 1)
            s = lrnn_fail(LRNN_ERR_ARG, "%s: archive holds %d arrays (%s); name one as %s:<array>",
                          name, f->hits, f->list, name);
        else
            s = read_member(&z, &f->found, out);
    }
    free(f);
    return s;
}

lrnn_status lrnn_npz_read(const char *path, const char *member, lrnn_array *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) return lrnn_fail(LRNN_ERR_ARG, "lrnn_npz_read: NULL argument");
    /* An archive may hold several arrays of the largest readable size. */
    const size_t max_size = NPZ_MEMBER_MAX * 4;
    void *bytes = NULL;
    size_t size = 0;
    lrnn_status s = lrnn_file_read_all(path, max_size, &bytes, &size);
    if (s != LRNN_OK) return s;
    s = lrnn_npz_parse(bytes, size, path, member, out);
    free(bytes);
    return s;
}
