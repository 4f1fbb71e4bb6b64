/* Numeric CSV: comma-separated doubles, one optional header row, read as a 2-D float64 array.
 *
 * The parser works on (text, size) without a terminator because it is fed raw file images and
 * fuzz inputs: every scan is bounded by `end`, and a cell is copied into a NUL-terminated
 * scratch buffer before strtod sees it. strtod and printf follow LC_NUMERIC, so a program that
 * called setlocale(LC_ALL, "") in a comma-decimal locale would misread "0.5"; both directions
 * therefore switch the calling thread (uselocale, not setlocale, which is process-wide) to the
 * "C" locale for their duration. */
#include <ctype.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrnn/io.h"

/* Largest CSV file read into memory (bytes). */
#define CSV_MAX_BYTES ((size_t)1 << 36)

/* Longest cell that can be a number. Longer cells are text (a header, or an error): real
 * numbers need at most ~25 characters, and the bound keeps the scratch buffer on the stack. */
enum { CELL_MAX = 128 };

/* ---- locale ---- */

/* The calling thread's locale while a parse or write runs in "C". */
typedef struct c_locale_scope {
    locale_t c;
    locale_t saved;
} c_locale_scope;

static void c_locale_enter(c_locale_scope *s) {
    /* newlocale can only fail for lack of memory; the global locale is then used as is, which
     * is "C" unless the application changed it. */
    s->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    s->saved = s->c ? uselocale(s->c) : (locale_t)0;
}

static void c_locale_leave(c_locale_scope *s) {
    if (!s->c) return;
    uselocale(s->saved);
    freelocale(s->c);
}

/* ---- cells ---- */

typedef enum cell_kind { CELL_NUMBER, CELL_MISSING, CELL_TEXT } cell_kind;

static int is_blank(char c) {
    return c == ' ' || c == '\t';
}

static int ascii_ieq(const char *s, size_t n, const char *word) {
    size_t m = strlen(word);
    if (n != m) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != word[i]) return 0;
    return 1;
}

/* Decimal grammar [+-] digits [. digits] [(e|E) [+-] digits], with at least one mantissa digit.
 * Checked before strtod so that hex floats, "nan(...)", "infinity" spellings other than ours and
 * embedded NUL bytes are text, not numbers. */
static int is_decimal(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t exp_digits = 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, exp_digits++;
        if (exp_digits == 0) return 0;
    }
    return i == n;
}

/* Classify the trimmed cell s[0..n) and, for numbers, store its value. Empty cells and any
 * spelling of nan (with the sign printf may give it) are missing values; inf is kept as a
 * number so that the dataset layer can reject it with the index. */
static cell_kind cell_parse(const char *s, size_t n, double *value) {
    if (n == 0) return CELL_MISSING;
    const char *body = s;
    size_t len = n;
    int negative = 0;
    if (body[0] == '+' || body[0] == '-') {
        negative = body[0] == '-';
        body++, len--;
    }
    if (ascii_ieq(body, len, "nan")) return CELL_MISSING;
    if (ascii_ieq(body, len, "inf") || ascii_ieq(body, len, "infinity")) {
        *value = negative ? -INFINITY : INFINITY;
        return CELL_NUMBER;
    }
    if (n >= CELL_MAX || !is_decimal(s, n)) return CELL_TEXT;
    char buf[CELL_MAX];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *stop = NULL;
    /* Overflow gives +-HUGE_VAL (inf, rejected later with its index) and underflow a denormal
     * or zero; both are the nearest doubles, so errno is not consulted. */
    *value = strtod(buf, &stop);
    return stop == buf + n ? CELL_NUMBER : CELL_TEXT;
}

/* Printable excerpt of a cell for messages: at most 40 characters, control bytes as '?'. */
static const char *cell_excerpt(const char *s, size_t n, char *buf, size_t cap) {
    size_t m = n < cap - 4 ? n : cap - 4;
    if (m > 40) m = 40;
    for (size_t i = 0; i < m; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    if (m < n) {
        memcpy(buf + m, "...", 3);
        m += 3;
    }
    buf[m] = '\0';
    return buf;
}

/* ---- lines ---- */

/* One physical line [begin, end) without its terminator, and the cursor after it. */
typedef struct line {
    const char *begin, *end;
    size_t number; /* 1-based, counting every physical line */
} line;

/* Advance to the next line; LF and CRLF both end a line, and the last line needs no newline. */
static int next_line(const char **cursor, const char *stop, line *ln) {
    if (*cursor >= stop) return 0;
    const char *p = *cursor;
    const char *nl = memchr(p, '\n', (size_t)(stop - p));
    const char *e = nl ? nl : stop;
    *cursor = nl ? nl + 1 : stop;
    if (e > p && e[-1] == '\r') e--;
    ln->begin = p;
    ln->end = e;
    ln->number++;
    return 1;
}

static int line_is_blank(const line *ln) {
    for (const char *p = ln->begin; p < ln->end; p++)
        if (!is_blank(*p)) return 0;
    return 1;
}

/* Split off the next cell at *p (trimmed of surrounding blanks); returns 0 after the last. */
static int next_cell(const char **p, const char *end, const char **cell, size_t *n) {
    if (!*p) return 0;
    const char *comma = memchr(*p, ',', (size_t)(end - *p));
    const char *b = *p, *e = comma ? comma : end;
    while (b < e && is_blank(*b))
        b++;
    while (e > b && is_blank(e[-1]))
        e--;
    *cell = b;
    *n = (size_t)(e - b);
    *p = comma ? comma + 1 : NULL; /* NULL: this was the last cell of the line */
    return 1;
}

static size_t count_cells(const line *ln) {
    size_t cells = 1;
    for (const char *p = ln->begin; p < ln->end; p++)
        cells += *p == ',';
    return cells;
}

/* A header is a first row with at least one cell that is neither a number nor missing. */
static int line_is_header(const line *ln) {
    const char *p = ln->begin, *cell;
    size_t n;
    double v;
    while (next_cell(&p, ln->end, &cell, &n))
        if (cell_parse(cell, n, &v) == CELL_TEXT) return 1;
    return 0;
}

/* ---- growable value buffer ---- */

typedef struct values {
    double *v;
    size_t n, cap;
} values;

static lrnn_status values_reserve(values *vals, size_t extra, const char *name) {
    if (vals->n + extra <= vals->cap) return LRNN_OK;
    if (extra > LRNN_ARRAY_MAX_ELEMENTS - vals->n)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: more than %zu values", name,
                         (size_t)LRNN_ARRAY_MAX_ELEMENTS);
    size_t cap = vals->cap ? vals->cap : 256;
    while (cap < vals->n + extra)
        cap *= 2;
    double *v = realloc(vals->v, cap * sizeof *v);
    if (!v) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu values", name, cap);
    vals->v = v;
    vals->cap = cap;
    return LRNN_OK;
}

/* Append the cells of one data row; the caller has checked the cell count. */
static lrnn_status parse_row(const line *ln, size_t cols, values *vals, const char *name) {
    lrnn_status s = values_reserve(vals, cols, name);
    if (s != LRNN_OK) return s;
    const char *p = ln->begin, *cell;
    size_t n, col = 0;
    while (next_cell(&p, ln->end, &cell, &n)) {
        double v = NAN;
        cell_kind kind = cell_parse(cell, n, &v);
        col++;
        if (kind == CELL_TEXT) {
            char shown[64];
            return lrnn_fail(LRNN_ERR_FORMAT, "%s: line %zu, column %zu: '%s' is not a number",
                             name, ln->number, col, cell_excerpt(cell, n, shown, sizeof shown));
        }
        vals->v[vals->n++] = kind == CELL_NUMBER ? v : NAN;
    }
    return LRNN_OK;
}

static lrnn_status parse_lines(const char *text, size_t size, const char *name, values *vals,
                               size_t *rows_out, size_t *cols_out, int *header_out) {
    const char *cursor = text, *stop = text + size;
    /* A UTF-8 byte-order mark (spreadsheet exports) is not part of the first cell. */
    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) cursor += 3;
    line ln = {0};
    size_t rows = 0, cols = 0, first_line = 0;
    int header = 0;
    while (next_line(&cursor, stop, &ln)) {
        /* Blank lines are skipped, as pandas does; a missing value in a one-column file is
         * written "nan" rather than as an empty line. */
        if (line_is_blank(&ln)) continue;
        size_t cells = count_cells(&ln);
        if (first_line == 0) {
            first_line = ln.number;
            cols = cells;
            header = line_is_header(&ln);
            if (header) continue;
        } else if (cells != cols) {
            return lrnn_fail(LRNN_ERR_FORMAT,
                             "%s: line %zu has %zu columns but line %zu has %zu (ragged rows)",
                             name, ln.number, cells, first_line, cols);
        }
        lrnn_status s = parse_row(&ln, cols, vals, name);
        if (s != LRNN_OK) return s;
        rows++;
    }
    if (rows == 0)
        return lrnn_fail(LRNN_ERR_FORMAT, "%s: no data rows%s", name,
                         header ? " (only a header)" : " (empty file)");
    *rows_out = rows;
    *cols_out = cols;
    *header_out = header;
    return LRNN_OK;
}

lrnn_status lrnn_csv_parse(const char *text, size_t size, const char *name, lrnn_array *out,
                           int *has_header) {
    memset(out, 0, sizeof *out);
    if (has_header) *has_header = 0;
    if (!name) name = "csv";
    if (!text && size > 0) return lrnn_fail(LRNN_ERR_ARG, "%s: no text given", name);
    if (!text) text = ""; /* arithmetic on a null pointer is undefined, even adding 0 */
    values vals = {0};
    size_t rows = 0, cols = 0;
    int header = 0;
    c_locale_scope loc;
    c_locale_enter(&loc);
    lrnn_status s = parse_lines(text, size, name, &vals, &rows, &cols, &header);
    c_locale_leave(&loc);
    if (s != LRNN_OK) {
        free(vals.v);
        return s;
    }
    /* The buffer is handed to the array as is: lrnn_array_free releases it with free(). */
    out->dtype = LRNN_DTYPE_F64;
    out->ndim = 2;
    out->shape[0] = rows;
    out->shape[1] = cols;
    out->data = vals.v;
    if (has_header) *has_header = header;
    return LRNN_OK;
}

lrnn_status lrnn_csv_read(const char *path, lrnn_array *out, int *has_header) {
    memset(out, 0, sizeof *out);
    if (has_header) *has_header = 0;
    void *bytes = NULL;
    size_t size = 0;
    lrnn_status s = lrnn_file_read_all(path, CSV_MAX_BYTES, &bytes, &size);
    if (s != LRNN_OK) return s;
    s = lrnn_csv_parse(bytes, size, path, out, has_header);
    free(bytes);
    return s;
}

/* ---- writer ---- */

/* Widest formatted element: "-2.2250738585072014e-308" is 24 characters and the longest
 * int64 20; one more for the separator. */
enum { CELL_WIDTH = 26 };

static size_t format_element(const lrnn_array *a, size_t i, char *p, size_t cap) {
    int n;
    switch (a->dtype) {
    case LRNN_DTYPE_F32:
    case LRNN_DTYPE_F64:
        /* 17 significant digits identify every double, so the text reads back bit exact. */
        n = snprintf(p, cap, "%.17g", lrnn_array_get_f64(a, i));
        break;
    case LRNN_DTYPE_I64:
        /* Printed as integers: int64 beyond 2^53 would lose digits through a double. */
        n = snprintf(p, cap, "%" PRId64, ((const int64_t *)a->data)[i]);
        break;
    default:
        n = snprintf(p, cap, "%.0f", lrnn_array_get_f64(a, i));
        break;
    }
    return n > 0 ? (size_t)n : 0;
}

static lrnn_status check_header(const char *path, const char *header, size_t cols) {
    if (strpbrk(header, "\r\n"))
        return lrnn_fail(LRNN_ERR_ARG, "%s: the CSV header must be a single line", path);
    size_t cells = 1;
    for (const char *p = header; *p; p++)
        cells += *p == ',';
    if (cells != cols)
        return lrnn_fail(LRNN_ERR_ARG, "%s: the CSV header has %zu names for %zu columns", path,
                         cells, cols);
    return LRNN_OK;
}

/* Format the whole file into one buffer, so that the atomic write is a single call. */
static lrnn_status format_csv(const char *path, const lrnn_array *a, const char *header,
                              char **text, size_t *size) {
    size_t rows = a->shape[0], cols = a->ndim == 2 ? a->shape[1] : 1;
    size_t count = lrnn_array_count(a);
    size_t head = header ? strlen(header) + 1 : 0;
    if (count > (SIZE_MAX - head - 1) / CELL_WIDTH)
        return lrnn_fail(LRNN_ERR_NOMEM, "%s: array of %zu elements too large for CSV", path,
                         count);
    size_t cap = head + count * CELL_WIDTH + 1;
    char *buf = malloc(cap);
    if (!buf) return lrnn_fail(LRNN_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, cap);
    size_t used = 0;
    if (header) used += (size_t)snprintf(buf, cap, "%s\n", header);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            used += format_element(a, r * cols + c, buf + used, cap - used);
            buf[used++] = c + 1 < cols ? ',' : '\n';
        }
    *text = buf;
    *size = used;
    return LRNN_OK;
}

lrnn_status lrnn_csv_write(const char *path, const lrnn_array *a, const char *header) {
    if (a->ndim != 1 && a->ndim != 2) {
        char shape[256];
        return lrnn_fail(LRNN_ERR_SHAPE, "%s: CSV holds 1-D or 2-D arrays, not shape %s", path,
                         lrnn_shape_str(a->ndim, a->shape, shape, sizeof shape));
    }
    if (header) {
        lrnn_status s = check_header(path, header, a->ndim == 2 ? a->shape[1] : 1);
        if (s != LRNN_OK) return s;
    }
    char *text = NULL;
    size_t size = 0;
    c_locale_scope loc;
    c_locale_enter(&loc);
    lrnn_status s = format_csv(path, a, header, &text, &size);
    c_locale_leave(&loc);
    if (s != LRNN_OK) return s;
    s = lrnn_file_write_atomic(path, text, size);
    free(text);
    return s;
}
