/* NumPy .npy files: format versions 1.0, 2.0 and 3.0.
 *
 * Layout (numpy/lib/format.py): the magic "\x93NUMPY", a major and a minor version byte, the
 * header length (little-endian uint16 for 1.0, uint32 for 2.0/3.0), then the header: the repr
 * of a Python dict with the keys 'descr', 'fortran_order' and 'shape', padded with spaces and a
 * final '\n'. The raw element data follows the header.
 *
 * Choices where numpy leaves room:
 *   - Bytes after the element data are tolerated (numpy's own reader ignores them too), so a
 *     file with trailing padding still loads. Fewer bytes than the shape needs is an error.
 *   - Bool bytes other than 0/1 (which numpy never writes) are normalised to 1 rather than
 *     rejected: any non-zero byte is "true" to numpy as well.
 *   - Keys other than the three above are rejected, as numpy rejects them.
 *   - Version 3.0 only differs in allowing UTF-8 in the header; the dict syntax is the same,
 *     and non-ASCII bytes can only appear inside string literals, which are read byte-wise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/io.h"

/* Every .npy file starts with these six bytes. */
static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* numpy aligns the start of the data to 64 bytes so that memory-mapped arrays are aligned
 * for any SIMD width; we write the same alignment. */
enum { NPY_ALIGN = 64, NPY_DESCR_CAP = 64, NPY_KEY_CAP = 32 };

typedef struct npy_header {
    char descr[NPY_DESCR_CAP]; /* as written, e.g. "<f8" */
    int structured;            /* descr was a list of fields */
    lrnn_dtype dtype;
    int swap; /* file byte order differs from the host's */
    int fortran_order;
    int ndim;
    size_t shape[LRNN_ARRAY_MAX_NDIM];
} npy_header;

/* Read position inside the header text; `start` lets messages give byte offsets. */
typedef struct npy_cursor {
    const char *p;
    const char *end;
    const char *start;
    size_t base; /* file offset of `start` */
    const char *name;
} npy_cursor;

static int host_is_big_endian(void) {
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 0;
}

static uint32_t read_le16(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t read_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- header dict parsing ---- */

static lrnn_status header_fail(const npy_cursor *c, const char *what) {
    size_t at = c->base + (size_t)(c->p - c->start);
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: malformed .npy header: %s at byte %zu", c->name, what,
                     at);
}

static void skip_space(npy_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int accept_char(npy_cursor *c, char ch) {
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

static int accept_word(npy_cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* A Python string literal in single or double quotes. Backslash escapes the next byte (numpy
 * never needs escapes in the three keys or in descr strings we accept). Longer strings are
 * truncated into `buf`, which is enough to name them in a message. */
static lrnn_status parse_string(npy_cursor *c, char *buf, size_t cap) {
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return header_fail(c, "expected a quoted string");
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        /* repr() never emits a raw NUL; accepting one would let '<f8\0junk' pass as '<f8'. */
        if (*c->p == '\0') return header_fail(c, "NUL byte in a string");
        if (*c->p == '\\' && c->p + 1 < c->end) c->p++;
        if (n + 1 < cap) buf[n++] = *c->p;
        c->p++;
    }
    buf[n] = '\0';
    if (!accept_char(c, quote)) return header_fail(c, "unterminated string");
    return LRNN_OK;
}

/* What a numpy type letter means, so that an unsupported dtype is named in words. */
static const char *kind_words(char kind) {
    switch (kind) {
    case 'c':
        return "complex";
    case 'U':
        return "unicode string";
    case 'S':
    case 'a':
        return "byte string";
    case 'O':
        return "Python object (pickled)";
    case 'M':
        return "datetime";
    case 'm':
        return "timedelta";
    case 'V':
        return "void/record";
    case 'f':
        return "floating point of this width";
    case 'u':
        return "unsigned integer of this width";
    case 'i':
        return "signed integer of this width";
    case 'b':
        return "boolean of this width";
    default:
        return "unknown type";
    }
}

/* Skip a bracketed Python literal (a structured dtype's list of fields), honouring quotes, so
 * that the rest of the header is still checked before the dtype is refused. */
static lrnn_status skip_list(npy_cursor *c) {
    int depth = 0;
    while (c->p < c->end) {
        char ch = *c->p;
        if (ch == '\'' || ch == '"') {
            char ignored[2];
            lrnn_status s = parse_string(c, ignored, sizeof ignored);
            if (s != LRNN_OK) return s;
            continue;
        }
        c->p++;
        if (ch == '[' || ch == '(' || ch == '{') depth++;
        if ((ch == ']' || ch == ')' || ch == '}') && --depth == 0) return LRNN_OK;
    }
    return header_fail(c, "unterminated list in 'descr'");
}

/* descr is kept as text and resolved once the whole dict has parsed, so that a syntax error
 * is reported as such rather than as an odd dtype. */
static lrnn_status parse_descr(npy_cursor *c, npy_header *h) {
    if (c->p < c->end && *c->p == '[') {
        h->structured = 1;
        return skip_list(c);
    }
    return parse_string(c, h->descr, sizeof h->descr);
}

/* descr such as '<f8': byte-order character, kind letter, item size in bytes. */
static lrnn_status resolve_descr(const char *name, npy_header *h) {
    if (h->structured)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: unsupported dtype: structured (record) arrays cannot be read; "
                         "save one plain numeric array per member",
                         name);
    const char *t = h->descr;
    char order = '=';
    if (*t == '<' || *t == '>' || *t == '|' || *t == '=') order = *t++;
    static const struct {
        const char *code;
        lrnn_dtype dtype;
    } known[] = {
        {"f4", LRNN_DTYPE_F32}, {"f8", LRNN_DTYPE_F64},  {"i1", LRNN_DTYPE_I8},
        {"i2", LRNN_DTYPE_I16}, {"i4", LRNN_DTYPE_I32},  {"i8", LRNN_DTYPE_I64},
        {"u1", LRNN_DTYPE_U8},  {"b1", LRNN_DTYPE_BOOL},
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (strcmp(t, known[k].code) != 0) continue;
        h->dtype = known[k].dtype;
        /* '|' (not applicable) and '=' (native) both mean the host's order. */
        int file_big = order == '>' || (order != '<' && host_is_big_endian());
        h->swap = lrnn_dtype_size(h->dtype) > 1 && file_big != host_is_big_endian();
        return LRNN_OK;
    }
    return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                     "%s: unsupported dtype '%s' (%s); lrnn reads float32, float64, int8, int16, "
                     "int32, int64, uint8 and bool: convert with arr.astype(...) before saving",
                     name, h->descr, kind_words(*t));
}

static lrnn_status parse_bool(npy_cursor *c, int *value) {
    if (accept_word(c, "True")) {
        *value = 1;
        return LRNN_OK;
    }
    if (accept_word(c, "False")) {
        *value = 0;
        return LRNN_OK;
    }
    return header_fail(c, "'fortran_order' must be True or False");
}

/* One non-negative dimension; Python 2 era files may carry an 'L' suffix. */
static lrnn_status parse_dim(npy_cursor *c, size_t *dim) {
    if (c->p < c->end && *c->p == '-') {
        const char *digits = c->p;
        while (c->p < c->end && (c->p == digits || (*c->p >= '0' && *c->p <= '9')))
            c->p++;
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: negative dimension %.*s in the .npy shape", c->name,
                         (int)(c->p - digits), digits);
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return header_fail(c, "expected a dimension in 'shape'");
    const char *digits = c->p;
    size_t v = 0;
    int absurd = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p++ - '0');
        /* Any single dimension beyond the element limit is absurd; stopping there also keeps
         * the accumulation far from overflow. */
        if (v > (LRNN_ARRAY_MAX_ELEMENTS - d) / 10)
            absurd = 1;
        else
            v = v * 10 + d;
    }
    if (absurd)
        return lrnn_fail(LRNN_ERR_NOMEM,
                         "%s: absurd dimension %.*s in the .npy shape (limit %zu elements)",
                         c->name, (int)(c->p - digits), digits, LRNN_ARRAY_MAX_ELEMENTS);
    accept_char(c, 'L');
    *dim = v;
    return LRNN_OK;
}

/* A Python tuple of ints: "()", "(5,)", "(3, 4)", "(3, 4,)"; "(5)" is accepted too. */
static lrnn_status parse_shape(npy_cursor *c, npy_header *h) {
    if (!accept_char(c, '(')) return header_fail(c, "'shape' must be a tuple");
    h->ndim = 0;
    for (;;) {
        skip_space(c);
        if (accept_char(c, ')')) return LRNN_OK;
        if (h->ndim == LRNN_ARRAY_MAX_NDIM)
            return lrnn_fail(LRNN_ERR_UNSUPPORTED, "%s: .npy shape has more than %d dimensions",
                             c->name, LRNN_ARRAY_MAX_NDIM);
        lrnn_status s = parse_dim(c, &h->shape[h->ndim]);
        if (s != LRNN_OK) return s;
        h->ndim++;
        skip_space(c);
        if (accept_char(c, ',')) continue;
        if (accept_char(c, ')')) return LRNN_OK;
        return header_fail(c, "expected ',' or ')' in 'shape'");
    }
}

/* Dispatch one "key: value" pair; `seen` bits catch duplicates and missing keys. */
static lrnn_status parse_entry(npy_cursor *c, npy_header *h, unsigned *seen) {
    char key[NPY_KEY_CAP];
    lrnn_status s = parse_string(c, key, sizeof key);
    if (s != LRNN_OK) return s;
    skip_space(c);
    if (!accept_char(c, ':')) return header_fail(c, "expected ':' after a key");
    skip_space(c);
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    for (unsigned k = 0; k < 3; k++) {
        if (strcmp(key, keys[k]) != 0) continue;
        if (*seen & (1u << k))
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: malformed .npy header: duplicate key '%s'",
                             c->name, key);
        *seen |= 1u << k;
        if (k == 0) return parse_descr(c, h);
        if (k == 1) return parse_bool(c, &h->fortran_order);
        return parse_shape(c, h);
    }
    return lrnn_fail(LRNN_ERR_FORMAT, "%s: malformed .npy header: unexpected key '%s'", c->name,
                     key);
}

static lrnn_status parse_dict(npy_cursor *c, npy_header *h) {
    unsigned seen = 0;
    skip_space(c);
    if (!accept_char(c, '{')) return header_fail(c, "expected '{'");
    for (;;) {
        skip_space(c);
        if (accept_char(c, '}')) break;
        lrnn_status s = parse_entry(c, h, &seen);
        if (s != LRNN_OK) return s;
        skip_space(c);
        if (accept_char(c, ',')) continue;
        if (accept_char(c, '}')) break;
        return header_fail(c, "expected ',' or '}'");
    }
    skip_space(c); /* numpy pads with spaces and a final '\n' */
    if (c->p != c->end) return header_fail(c, "unexpected text after the dict");
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    for (unsigned k = 0; k < 3; k++)
        if (!(seen & (1u << k)))
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: malformed .npy header: missing key '%s'",
                             c->name, keys[k]);
    return LRNN_OK;
}

/* Element count with the same overflow rule as lrnn_array_alloc, but reported in terms of
 * the file so that a corrupt header is named as such. */
static lrnn_status check_count(const char *name, const npy_header *h, size_t *count) {
    size_t n = 1;
    for (int d = 0; d < h->ndim; d++) {
        if (h->shape[d] != 0 && n > LRNN_ARRAY_MAX_ELEMENTS / h->shape[d]) {
            char buf[256];
            return lrnn_fail(LRNN_ERR_NOMEM,
                             "%s: absurd .npy shape %s: more than %zu elements (corrupt header "
                             "or array too large)",
                             name, lrnn_shape_str(h->ndim, h->shape, buf, sizeof buf),
                             LRNN_ARRAY_MAX_ELEMENTS);
        }
        n *= h->shape[d];
    }
    *count = n;
    return LRNN_OK;
}

/* Fixed prelude: magic, version, header length. Sets the header text's extent. */
static lrnn_status parse_prelude(const unsigned char *b, size_t size, const char *name,
                                 size_t *header_start, size_t *header_len) {
    if (size == 0) return lrnn_fail(LRNN_ERR_FORMAT, "%s: empty file, not a .npy array", name);
    size_t probe = size < sizeof npy_magic ? size : sizeof npy_magic;
    if (memcmp(b, npy_magic, probe) != 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: bad magic: not a .npy file", name);
    if (size < 8) return lrnn_fail(LRNN_ERR_FORMAT, "%s: truncated .npy prelude", name);
    unsigned major = b[6], minor = b[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return lrnn_fail(LRNN_ERR_UNSUPPORTED,
                         "%s: unsupported .npy format version %u.%u (lrnn reads 1.0, 2.0, 3.0)",
                         name, major, minor);
    size_t len_bytes = major == 1 ? 2 : 4;
    if (size < 8 + len_bytes) return lrnn_fail(LRNN_ERR_FORMAT, "%s: truncated .npy prelude", name);
    *header_start = 8 + len_bytes;
    *header_len = major == 1 ? read_le16(b + 8) : read_le32(b + 8);
    if (*header_len > size - *header_start)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: truncated .npy header: header length %zu runs past the end of the "
                         "%zu-byte file",
                         name, *header_len, size);
    return LRNN_OK;
}

static void swap_bytes(unsigned char *p, size_t count, size_t item) {
    for (size_t i = 0; i < count; i++, p += item)
        for (size_t a = 0, z = item - 1; a < z; a++, z--) {
            unsigned char t = p[a];
            p[a] = p[z];
            p[z] = t;
        }
}

/* Fortran order stores axis 0 fastest. Walk the C-order destination with an odometer and keep
 * the matching Fortran offset up to date, so any rank works without recursion. */
static void fortran_to_c(const unsigned char *src, unsigned char *dst, int ndim,
                         const size_t *shape, size_t count, size_t item) {
    size_t stride[LRNN_ARRAY_MAX_NDIM], index[LRNN_ARRAY_MAX_NDIM] = {0};
    size_t s = 1;
    for (int d = 0; d < ndim; d++) {
        stride[d] = s;
        s *= shape[d];
    }
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(dst + i * item, src + off * item, item);
        for (int d = ndim - 1; d >= 0; d--) {
            off += stride[d];
            if (++index[d] < shape[d]) break;
            off -= stride[d] * shape[d];
            index[d] = 0;
        }
    }
}

lrnn_status lrnn_npy_parse(const void *bytes, size_t size, const char *name, lrnn_array *out) {
    if (!out) return lrnn_fail(LRNN_ERR_ARG, "lrnn_npy_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (!bytes && size) return lrnn_fail(LRNN_ERR_ARG, "%s: bytes is NULL", name);
    const unsigned char *b = bytes;
    size_t hstart = 0, hlen = 0;
    lrnn_status s = parse_prelude(b, size, name, &hstart, &hlen);
    if (s != LRNN_OK) return s;

    npy_header h;
    memset(&h, 0, sizeof h);
    npy_cursor c = {(const char *)b + hstart, (const char *)b + hstart + hlen,
                    (const char *)b + hstart, hstart, name};
    s = parse_dict(&c, &h);
    if (s == LRNN_OK) s = resolve_descr(name, &h);
    if (s != LRNN_OK) return s;
    size_t count = 0;
    s = check_count(name, &h, &count);
    if (s != LRNN_OK) return s;

    /* Check the data length before allocating, so a lying header cannot make us allocate. */
    size_t item = lrnn_dtype_size(h.dtype);
    size_t need = count * item, have = size - hstart - hlen;
    if (have < need)
        return lrnn_fail(LRNN_ERR_FORMAT,
                         "%s: truncated .npy data: shape needs %zu bytes, file has %zu", name, need,
                         have);
    s = lrnn_array_alloc(out, h.dtype, h.ndim, h.shape);
    if (s != LRNN_OK) return lrnn_fail_context(s, "%s", name);
    const unsigned char *src = b + hstart + hlen;
    unsigned char *dst = out->data;
    if (h.fortran_order && h.ndim > 1)
        fortran_to_c(src, dst, h.ndim, h.shape, count, item);
    else if (need)
        memcpy(dst, src, need);
    if (h.swap) swap_bytes(dst, count, item);
    if (h.dtype == LRNN_DTYPE_BOOL)
        for (size_t i = 0; i < count; i++)
            dst[i] = dst[i] != 0;
    return LRNN_OK;
}

lrnn_status lrnn_npy_read(const char *path, lrnn_array *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out) return lrnn_fail(LRNN_ERR_ARG, "lrnn_npy_read: NULL argument");
    /* The largest acceptable array plus room for any sane header. */
    const size_t max_size = LRNN_ARRAY_MAX_ELEMENTS * 8 + ((size_t)1 << 20);
    void *bytes = NULL;
    size_t size = 0;
    lrnn_status s = lrnn_file_read_all(path, max_size, &bytes, &size);
    if (s != LRNN_OK) return s;
    s = lrnn_npy_parse(bytes, size, path, out);
    free(bytes);
    return s;
}

/* ---- writing ---- */

static const char *descr_of(lrnn_dtype t) {
    switch (t) {
    case LRNN_DTYPE_F32:
        return "<f4";
    case LRNN_DTYPE_F64:
        return "<f8";
    case LRNN_DTYPE_I8:
        return "|i1";
    case LRNN_DTYPE_I16:
        return "<i2";
    case LRNN_DTYPE_I32:
        return "<i4";
    case LRNN_DTYPE_I64:
        return "<i8";
    case LRNN_DTYPE_U8:
        return "|u1";
    case LRNN_DTYPE_BOOL:
        return "|b1";
    }
    return NULL;
}

static lrnn_status check_writable(const char *path, const lrnn_array *a, size_t *count) {
    if (!path || !a) return lrnn_fail(LRNN_ERR_ARG, "lrnn_npy_write: NULL argument");
    if (!descr_of(a->dtype))
        return lrnn_fail(LRNN_ERR_ARG, "%s: array has an invalid dtype %d", path, (int)a->dtype);
    if (a->ndim < 0 || a->ndim > LRNN_ARRAY_MAX_NDIM)
        return lrnn_fail(LRNN_ERR_ARG, "%s: array rank %d outside 0..%d", path, a->ndim,
                         LRNN_ARRAY_MAX_NDIM);
    size_t n = 1;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] != 0 && n > LRNN_ARRAY_MAX_ELEMENTS / a->shape[d])
            return lrnn_fail(LRNN_ERR_ARG, "%s: array shape is too large to write", path);
        n *= a->shape[d];
    }
    if (n && !a->data) return lrnn_fail(LRNN_ERR_ARG, "%s: array has no data", path);
    *count = n;
    return LRNN_OK;
}

lrnn_status lrnn_npy_write(const char *path, const lrnn_array *a) {
    size_t count = 0;
    lrnn_status s = check_writable(path, a, &count);
    if (s != LRNN_OK) return s;
    char shape[LRNN_ARRAY_MAX_NDIM * 24 + 8], dict[LRNN_ARRAY_MAX_NDIM * 24 + 128];
    int dict_len =
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                 descr_of(a->dtype), lrnn_shape_str(a->ndim, a->shape, shape, sizeof shape));
    /* Version 1.0 unless the padded header outgrows its uint16 length field. */
    size_t prelude = 10, body = (size_t)dict_len + 1;
    size_t hlen = (prelude + body + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN - prelude;
    if (hlen > 65535) {
        prelude = 12;
        hlen = (prelude + body + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN - prelude;
    }
    size_t item = lrnn_dtype_size(a->dtype), total = prelude + hlen + count * item;
    unsigned char *buf = malloc(total);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, total);
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = prelude == 10 ? 1 : 2;
    buf[7] = 0;
    for (size_t k = 0; k < prelude - 8; k++)
        buf[8 + k] = (unsigned char)(hlen >> (8 * k));
    memcpy(buf + prelude, dict, (size_t)dict_len);
    memset(buf + prelude + dict_len, ' ', hlen - (size_t)dict_len - 1);
    buf[prelude + hlen - 1] = '\n';
    unsigned char *data = buf + prelude + hlen;
    if (count) memcpy(data, a->data, count * item);
    if (host_is_big_endian() && item > 1) swap_bytes(data, count, item);
    /* A bool array holding other bytes than 0/1 would not round-trip through numpy. */
    if (a->dtype == LRNN_DTYPE_BOOL)
        for (size_t i = 0; i < count; i++)
            data[i] = data[i] != 0;
    s = lrnn_file_write_atomic(path, buf, total);
    free(buf);
    return s;
}
