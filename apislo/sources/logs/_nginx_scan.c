/* The NGINX access-log scanner in C99: tokenise and convert a chunk of lines in one pass.
 *
 * Plain C functions over fixed-width types and pointers, called through ctypes by
 * apislo/sources/logs/nginx_kernel.py (which documents the arguments and owns every array).
 * The functions touch no Python object, so ctypes runs them without the GIL and several threads
 * may scan parts of one chunk at once. Every read stays inside [0, size) of the buffer.
 *
 * Conventions: times are int64 epoch microseconds (UTC); decimal numbers are correctly rounded
 * doubles; a value the scanner cannot vouch for makes the whole line ok = 0 (the exact path
 * decides it). Byte values in comments are ASCII: 10 '\n', 13 '\r', 32 ' ', 34 '"', 44 ',',
 * 45 '-', 46 '.', 47 '/', 58 ':', 92 '\\', 93 ']'.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the SWAR searches read words as little-endian"
#endif

/* SSE2 is part of x86-64 itself: count_lines takes sixteen bytes at a time there. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define HAVE_SSE2 1
#else
#define HAVE_SSE2 0
#endif

/* Where a variable's value ends (the RULE_* constants of nginx_kernel.py). */
enum {
    RULE_QUOTED = 0,     /* (?:[^"\\]|\\.)*  up to the first unescaped " */
    RULE_TIME_LOCAL = 1, /* [^ \]]+ [^ \]]+ */
    RULE_LIST = 2,       /* [^\s,]+(?:(?:, | : )[^\s,]+)* */
    RULE_REST = 3,       /* .*  the rest of the line */
    RULE_DELIM = 4,      /* [^D]*  up to the first delimiter byte D */
    RULE_GREEDY = 5      /* [^ ]*  backing off to the last place the next literal matches */
};

/* What to make of a value (the CONV_* constants of nginx_kernel.py). */
enum {
    CONV_SKIP = 0,
    CONV_TIME_LOCAL = 1,
    CONV_TIME_ISO = 2,
    CONV_FLOAT = 3,
    CONV_INT = 4,
    CONV_STATUS = 5,
    CONV_LIST = 6,
    CONV_COUNT = 7,
    CONV_REQUEST = 8,
    CONV_STRING = 9
};

static const uint8_t MONTHS[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const int64_t DAYS_IN_MONTH[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
/* 10**k for k <= 22: every one is exact in a double. */
static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t ONES = 0x0101010101010101ULL;
static const uint64_t HIGH = 0x8080808080808080ULL;

/* ------------------------------------------------------------------ word-at-a-time helpers */

/* The eight bytes at buf + index as one little-endian word (any alignment). */
static inline uint64_t load_word(const uint8_t *buf, int64_t index)
{
    uint64_t word;
    memcpy(&word, buf + index, sizeof word);
    return word;
}

/* High bit set in the lowest zero byte of word (bits above it may be set too). */
static inline uint64_t zero_bytes(uint64_t word)
{
    return (word - ONES) & ~word & HIGH;
}

/* First offset in [q, e) holding byte a, b or c; e if none. Eight bytes at a time: each byte
 * equal to a target becomes zero after an XOR, and the lowest zero byte is the first match. */
static inline int64_t find_any_(const uint8_t *buf, int64_t q, int64_t e, int64_t a, int64_t b,
                                int64_t c)
{
    const uint64_t wa = (uint64_t)a * ONES;
    const uint64_t wb = (uint64_t)b * ONES;
    const uint64_t wc = (uint64_t)c * ONES;
    while (q + 8 <= e) {
        const uint64_t word = load_word(buf, q);
        const uint64_t hits = zero_bytes(word ^ wa) | zero_bytes(word ^ wb) | zero_bytes(word ^ wc);
        if (hits)
            return q + (int64_t)(__builtin_ctzll(hits) >> 3);
        q += 8;
    }
    for (; q < e; q++) {
        const int64_t x = buf[q];
        if (x == a || x == b || x == c)
            return q;
    }
    return e;
}

/* Whether the n bytes at x and y are equal: a loop, as the texts compared here (literals of a
 * template, protocols) are a few bytes long and a call to memcmp costs more. */
static inline int same_bytes(const uint8_t *x, const uint8_t *y, int64_t n)
{
    for (int64_t k = 0; k < n; k++)
        if (x[k] != y[k])
            return 0;
    return 1;
}

/* ----------------------------------------------------------------------- numbers and dates */

/* Value of count ASCII digits at start, or -1 if one is not a digit. */
static inline int64_t digits(const uint8_t *buf, int64_t start, int64_t count)
{
    int64_t value = 0;
    for (int64_t k = start; k < start + count; k++) {
        const int64_t d = (int64_t)buf[k] - 48;
        if (d < 0 || d > 9)
            return -1;
        value = value * 10 + d;
    }
    return value;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). Callers pass
 * y >= 1000 only, where C's truncating division and Python's floor division agree. */
static inline int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    if (m <= 2)
        y -= 1;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t mp = m > 2 ? m - 3 : m + 9;
    const int64_t doy = (153 * mp + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline int valid_date(int64_t y, int64_t m, int64_t d)
{
    if (y < 1000 || m < 1 || m > 12 || d < 1)
        return 0;
    int64_t dim = DAYS_IN_MONTH[m - 1];
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        dim = 29;
    return d <= dim;
}

/* Seconds of the day of HH:MM:SS at p, or -1. */
static inline int64_t clock_seconds(const uint8_t *buf, int64_t p)
{
    const int64_t hh = digits(buf, p, 2);
    const int64_t mm = digits(buf, p + 3, 2);
    const int64_t ss = digits(buf, p + 6, 2);
    if (buf[p + 2] != 58 || buf[p + 5] != 58 || hh < 0 || mm < 0 || ss < 0)
        return -1;
    if (hh > 23 || mm > 59 || ss > 59)
        return -1;
    return hh * 3600 + mm * 60 + ss;
}

/* The day and zone of the last $time_local converted: consecutive lines share them, so most
 * lines convert only their clock. */
struct day_cache {
    uint64_t date; /* bytes 0-7 of the value: "10/Sep/2" */
    uint64_t year; /* bytes 3-10: "Sep/2015" */
    uint64_t zone; /* bytes 21-25: "+0200" */
    int64_t base;  /* epoch seconds (UTC) of that day's local midnight */
    int valid;
};

/* 10/Sep/2015:17:57:59 +0200 -> 1 and *us = epoch microseconds (UTC); else 0. */
static inline int time_local(const uint8_t *buf, int64_t s, int64_t e, struct day_cache *cache,
                             int64_t *us)
{
    if (e - s != 26 || buf[s + 2] != 47 || buf[s + 6] != 47 || buf[s + 11] != 58)
        return 0;
    if (buf[s + 20] != 32)
        return 0;
    const uint64_t date = load_word(buf, s);
    const uint64_t year = load_word(buf, s + 3);
    const uint64_t zone = load_word(buf, s + 18) >> 24; /* drop bytes 18-20 (":59 ") */
    if (!cache->valid || date != cache->date || year != cache->year || zone != cache->zone) {
        const int64_t d = digits(buf, s, 2);
        const int64_t y = digits(buf, s + 7, 4);
        int64_t m = 0;
        for (int64_t k = 0; k < 12; k++) {
            if (buf[s + 3] == MONTHS[3 * k] && buf[s + 4] == MONTHS[3 * k + 1] &&
                buf[s + 5] == MONTHS[3 * k + 2]) {
                m = k + 1;
                break;
            }
        }
        if (d < 0 || y < 0 || !valid_date(y, m, d))
            return 0;
        /* zone: [+-]HH[0-5]M, as the exact path's _offset_seconds accepts it */
        const int64_t sign = buf[s + 21];
        const int64_t zh = digits(buf, s + 22, 2);
        const int64_t zm = digits(buf, s + 24, 2);
        if ((sign != 43 && sign != 45) || zh < 0 || zm < 0 || zm > 59)
            return 0;
        const int64_t offset = (zh * 3600 + zm * 60) * (sign == 45 ? -1 : 1);
        *cache = (struct day_cache){date, year, zone, days_from_civil(y, m, d) * 86400 - offset, 1};
    }
    const int64_t secs = clock_seconds(buf, s + 12);
    if (secs < 0)
        return 0;
    *us = (cache->base + secs) * 1000000;
    return 1;
}

/* 2024-02-29T23:59:59[.ffffff]+05:30 -> 1 and *us = epoch microseconds (UTC); else 0. */
static inline int time_iso(const uint8_t *buf, int64_t s, int64_t e, int64_t *us)
{
    if (e - s < 25 || buf[s + 4] != 45 || buf[s + 7] != 45 || buf[s + 10] != 84)
        return 0;
    const int64_t y = digits(buf, s, 4);
    const int64_t m = digits(buf, s + 5, 2);
    const int64_t d = digits(buf, s + 8, 2);
    if (y < 0 || m < 0 || d < 0 || !valid_date(y, m, d))
        return 0;
    const int64_t secs = clock_seconds(buf, s + 11);
    if (secs < 0)
        return 0;
    int64_t p = s + 19;
    int64_t micros = 0;
    if (buf[p] == 46) {
        int64_t n = 0;
        p++;
        while (p < e && buf[p] >= 48 && buf[p] <= 57 && n < 7) {
            micros = micros * 10 + (buf[p] - 48);
            n++;
            p++;
        }
        if (n == 0 || n > 6)
            return 0;
        for (; n < 6; n++)
            micros *= 10;
    }
    if (e - p != 6 || buf[p + 3] != 58 || (buf[p] != 43 && buf[p] != 45))
        return 0;
    const int64_t zh = digits(buf, p + 1, 2);
    const int64_t zm = digits(buf, p + 4, 2);
    if (zh < 0 || zm < 0 || zh > 23 || zm > 59)
        return 0;
    int64_t offset = zh * 3600 + zm * 60;
    if (buf[p] == 45)
        offset = -offset;
    *us = (days_from_civil(y, m, d) * 86400 + secs - offset) * 1000000 + micros;
    return 1;
}

/* NGINX's "-" (not set) or an empty value. */
static inline int is_null(const uint8_t *buf, int64_t s, int64_t e)
{
    return e == s || (e - s == 1 && buf[s] == 45);
}

/* \d+(\.\d+)? with at most 15 digits -> 1 and *value = its correctly rounded double; else 0.
 * The mantissa is below 10**15 < 2**53 and 10**frac is exact, so one IEEE division is
 * correctly rounded. The mantissa is unsigned so that a long run of digits wraps harmlessly
 * before the digit count refuses it. */
static inline int decimal(const uint8_t *buf, int64_t s, int64_t e, double *value)
{
    uint64_t mant = 0;
    int64_t n_digits = 0;
    int64_t frac = -1;
    for (int64_t k = s; k < e; k++) {
        const uint8_t c = buf[k];
        if (c == 46 && frac < 0 && k > s && k + 1 < e) {
            frac = 0;
            continue;
        }
        if (c < 48 || c > 57)
            return 0;
        mant = mant * 10 + (uint64_t)(c - 48);
        n_digits++;
        if (frac >= 0)
            frac++;
    }
    if (n_digits == 0 || n_digits > 15)
        return 0;
    *value = frac > 0 ? (double)(int64_t)mant / POW10[frac] : (double)(int64_t)mant;
    return 1;
}

/* Digits without a leading zero ("0" itself is fine) -> value, else -1. */
static inline int64_t integer(const uint8_t *buf, int64_t s, int64_t e, int64_t max_digits)
{
    const int64_t n = e - s;
    if (n < 1 || n > max_digits || (n > 1 && buf[s] == 48))
        return -1;
    return digits(buf, s, n);
}

/* End of a list member [^\s,]+ at p; -1 on a byte the regex may see differently. */
static inline int64_t member_end(const uint8_t *buf, int64_t p, int64_t e)
{
    int64_t q = p;
    for (; q < e; q++) {
        const uint8_t c = buf[q];
        if (c == 32 || c == 44 || (c >= 9 && c <= 13))
            break;
        if (c >= 128 || (c >= 28 && c <= 31)) /* possible Unicode whitespace for the regex */
            return -1;
    }
    return q;
}

/* Members of "0.512, 0.034 : -" -> 1 with their count, numeric count and sum; else 0. */
static inline int list_value(const uint8_t *buf, int64_t s, int64_t e, int64_t *members,
                             int64_t *numeric, double *total)
{
    *members = 0;
    *numeric = 0;
    *total = 0.0;
    int64_t p = s;
    for (;;) {
        const int64_t q = member_end(buf, p, e);
        if (q <= p)
            return 0;
        if (!(q - p == 1 && buf[p] == 45)) {
            double value;
            if (!decimal(buf, p, q, &value))
                return 0;
            *numeric += 1;
            *total += value;
        }
        *members += 1;
        if (q == e)
            return 1;
        if (q + 2 <= e && buf[q] == 44 && buf[q + 1] == 32)
            p = q + 2;
        else if (q + 3 <= e && buf[q] == 32 && buf[q + 1] == 58 && buf[q + 2] == 32)
            p = q + 3;
        else
            return 0;
    }
}

static inline int is_ascii(const uint8_t *buf, int64_t s, int64_t e)
{
    int64_t k = s;
    for (; k + 8 <= e; k += 8) {
        if (load_word(buf, k) & HIGH)
            return 0;
    }
    for (; k < e; k++) {
        if (buf[k] >= 128)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------- the scan */

/* A template program (see nginx_fast.Program): one entry per piece. */
struct program {
    const int64_t *kinds; /* 0 = literal, 1 = variable */
    const int64_t *lit_a, *lit_n;
    const uint8_t *lit;
    const int64_t *rules, *delims, *convs, *slots, *slots_b;
    int64_t n_pieces;
    const uint8_t *protos; /* accepted protocols back to back, split at proto_off */
    const int64_t *proto_off;
    int64_t n_proto_off;
};

/* The per-line outputs: [slot][row] arrays with rows of width entries. */
struct outputs {
    int64_t *ints;
    uint8_t *ivalid;
    double *floats;
    uint8_t *fvalid;
    int64_t *spans; /* [slot][0 | 1][row]: start and end offsets */
    int64_t width;
};

/* METHOD TARGET PROTO -> 1 with the end of the method and of the target; else 0. */
static inline int request(const uint8_t *buf, int64_t s, int64_t e, const struct program *prog,
                          int64_t *m_end, int64_t *t_end)
{
    int64_t p = s;
    for (; p < e; p++) {
        const uint8_t c = buf[p];
        if (!((c >= 65 && c <= 90) || ((c == 95 || c == 45) && p > s)))
            break;
    }
    if (p == s || p >= e || buf[p] != 32)
        return 0;
    int64_t q = find_any_(buf, p + 1, e, 32, 32, 32);
    if (!is_ascii(buf, p + 1, q))
        return 0;
    if (q == p + 1 || q >= e)
        return 0;
    *m_end = p;
    *t_end = q;
    q++;
    for (int64_t k = 0; k < prog->n_proto_off - 1; k++) {
        const int64_t a = prog->proto_off[k];
        const int64_t n = prog->proto_off[k + 1] - a;
        if (e - q == n && same_bytes(buf + q, prog->protos + a, n))
            return 1;
    }
    return 0;
}

static inline int literal_at(const uint8_t *buf, int64_t p, int64_t e, const uint8_t *lit,
                             int64_t a, int64_t n)
{
    return p + n <= e && same_bytes(buf + p, lit + a, n);
}

/* Where a value starting at p ends under rule; -1 when it cannot. e is the end of the chunk:
 * every scan also stops at the line's '\n'. */
static inline int64_t value_end(const uint8_t *buf, int64_t p, int64_t e, int64_t rule,
                                int64_t delim, const uint8_t *lit, int64_t next_a, int64_t next_n)
{
    int64_t q = p;
    if (rule == RULE_QUOTED) {
        for (;;) {
            q = find_any_(buf, q, e, 34, 10, 92);
            if (q < e && buf[q] == 92) {
                if (q + 1 >= e || buf[q + 1] == 10)
                    return -1;
                q += 2;
                continue;
            }
            return q;
        }
    }
    if (rule == RULE_TIME_LOCAL) {
        q = find_any_(buf, p, e, 32, 93, 10);
        if (q == p || q >= e || buf[q] != 32)
            return -1;
        const int64_t r = find_any_(buf, q + 1, e, 32, 93, 10);
        return r > q + 1 ? r : -1;
    }
    if (rule == RULE_LIST) {
        q = member_end(buf, p, e);
        if (q <= p)
            return -1;
        for (;;) {
            int64_t r;
            if (q + 2 < e && buf[q] == 44 && buf[q + 1] == 32)
                r = member_end(buf, q + 2, e);
            else if (q + 3 < e && buf[q] == 32 && buf[q + 1] == 58 && buf[q + 2] == 32)
                r = member_end(buf, q + 3, e);
            else
                return q;
            if (r < 0)
                return -1;
            if (r == q + 2 || (r == q + 3 && buf[q] == 32))
                return q; /* separator not followed by a member: the list ends before it */
            q = r;
        }
    }
    if (rule == RULE_REST) {
        q = find_any_(buf, q, e, 10, 10, 10);
        return q > p && buf[q - 1] == 13 ? q - 1 : q;
    }
    if (rule == RULE_DELIM)
        return find_any_(buf, q, e, delim, 10, 10);
    /* RULE_GREEDY: the longest run of non-spaces, then back off to where the next literal fits */
    for (; q < e; q++) {
        const uint8_t c = buf[q];
        if (c == 32 || c == 10)
            break;
    }
    for (; q >= p; q--) {
        if (literal_at(buf, q, e, lit, next_a, next_n))
            return q;
    }
    return -1;
}

/* Members of a non-null list value in [p, q): one more than its ',' and " : " separators. */
static inline int64_t count_members(const uint8_t *buf, int64_t p, int64_t q)
{
    int64_t count = 1;
    int64_t k = p;
    while (k < q) {
        if (buf[k] == 44) {
            count++;
        } else if (k + 3 <= q && buf[k] == 32 && buf[k + 1] == 58 && buf[k + 2] == 32) {
            count++;
            k += 3;
            continue;
        }
        k++;
    }
    return count;
}

/* Follow the program over the line starting at s (e: end of the chunk) and write its values in
 * row. Returns the offset of the line's '\n' (or e), or -1 when unsure. */
static int64_t scan_line(const uint8_t *buf, int64_t s, int64_t e, int64_t row,
                         const struct program *prog, const struct outputs *out,
                         struct day_cache *days)
{
    int64_t p = s;
    const int64_t w = out->width;
    for (int64_t i = 0; i < prog->n_pieces; i++) {
        if (prog->kinds[i] == 0) {
            if (!literal_at(buf, p, e, prog->lit, prog->lit_a[i], prog->lit_n[i]))
                return -1;
            p += prog->lit_n[i];
            continue;
        }
        const int64_t nxt = i + 1 < prog->n_pieces ? i + 1 : i;
        const int64_t q = value_end(buf, p, e, prog->rules[i], prog->delims[i], prog->lit,
                                    prog->lit_a[nxt], prog->lit_n[nxt]);
        if (q < 0)
            return -1;
        const int64_t conv = prog->convs[i];
        const int64_t slot = prog->slots[i];
        const int64_t at = slot * w + row;
        if (conv == CONV_TIME_LOCAL || conv == CONV_TIME_ISO) {
            int64_t us;
            const int good = conv == CONV_TIME_LOCAL ? time_local(buf, p, q, days, &us)
                                                     : time_iso(buf, p, q, &us);
            if (!good)
                return -1;
            out->ints[at] = us;
            out->ivalid[at] = 1;
        } else if (conv == CONV_FLOAT) {
            if (is_null(buf, p, q)) {
                out->fvalid[at] = 0;
            } else {
                double value;
                if (!decimal(buf, p, q, &value))
                    return -1;
                out->floats[at] = value;
                out->fvalid[at] = 1;
            }
        } else if (conv == CONV_INT || conv == CONV_STATUS) {
            if (is_null(buf, p, q)) {
                out->ivalid[at] = 0;
            } else {
                const int64_t value = integer(buf, p, q, conv == CONV_INT ? 18 : 5);
                if (value < 0 || (conv == CONV_STATUS && value > 32767))
                    return -1;
                out->ints[at] = value;
                out->ivalid[at] = 1;
            }
        } else if (conv == CONV_LIST) {
            const int64_t attempts = prog->slots_b[i] * w + row;
            const int64_t is_list = attempts + w;
            if (is_null(buf, p, q)) {
                out->fvalid[at] = 0;
                out->ivalid[attempts] = 0;
                out->ints[is_list] = 0;
                out->ivalid[is_list] = 1;
            } else {
                int64_t members, numeric;
                double total;
                if (!list_value(buf, p, q, &members, &numeric, &total))
                    return -1;
                out->floats[at] = total;
                out->fvalid[at] = numeric > 0;
                out->ints[attempts] = members;
                out->ivalid[attempts] = members > 1 || numeric > 0;
                out->ints[is_list] = members > 1;
                out->ivalid[is_list] = 1;
            }
        } else if (conv == CONV_COUNT) {
            if (is_null(buf, p, q)) {
                out->ivalid[at] = 0;
            } else {
                out->ints[at] = count_members(buf, p, q);
                out->ivalid[at] = 1;
            }
        } else if (conv == CONV_REQUEST) {
            int64_t m_end, t_end;
            if (!request(buf, p, q, prog, &m_end, &t_end))
                return -1;
            out->spans[(2 * slot) * w + row] = p;
            out->spans[(2 * slot + 1) * w + row] = m_end;
            out->spans[(2 * slot + 2) * w + row] = m_end + 1;
            out->spans[(2 * slot + 3) * w + row] = t_end;
        } else if (conv == CONV_STRING) {
            if (!is_ascii(buf, p, q))
                return -1;
            out->spans[(2 * slot) * w + row] = p;
            out->spans[(2 * slot + 1) * w + row] = q;
        }
        p = q;
    }
    if (p == e || buf[p] == 10)
        return p;
    if (buf[p] == 13 && (p + 1 == e || buf[p + 1] == 10))
        return p + 1;
    return -1;
}

/* ------------------------------------------------------------------------ exported functions */

int64_t find_any(const uint8_t *buf, int64_t q, int64_t e, int64_t a, int64_t b, int64_t c)
{
    return find_any_(buf, q, e, a, b, c);
}

/* Run the program over n_lines lines of buf[0:size) from offset start; rows row0.. of the
 * outputs (each [slot][row] array has rows of width entries). Returns the lines kept. */
int64_t scan_chunk(const uint8_t *buf, int64_t size, int64_t start, int64_t row0, int64_t n_lines,
                   const int64_t *kinds, const int64_t *lit_a, const int64_t *lit_n,
                   const uint8_t *lit, const int64_t *rules, const int64_t *delims,
                   const int64_t *convs, const int64_t *slots, const int64_t *slots_b,
                   int64_t n_pieces, const uint8_t *protos, const int64_t *proto_off,
                   int64_t n_proto_off, uint8_t *ok, int64_t *ints, uint8_t *ivalid,
                   double *floats, uint8_t *fvalid, int64_t *spans, int64_t width)
{
    const struct program prog = {kinds,  lit_a, lit_n,   lit,      rules,    delims,     convs,
                                 slots,  slots_b, n_pieces, protos, proto_off, n_proto_off};
    const struct outputs out = {ints, ivalid, floats, fvalid, spans, width};
    struct day_cache days = {0};
    int64_t pos = start;
    int64_t kept = 0;
    for (int64_t row = row0; row < row0 + n_lines; row++) {
        int64_t end = scan_line(buf, pos, size, row, &prog, &out, &days);
        if (end >= 0) {
            ok[row] = 1;
            kept++;
        } else {
            ok[row] = 0;
            end = pos;
            while (end < size && buf[end] != 10)
                end++;
        }
        pos = end + 1;
    }
    return kept;
}

/* Whether row r picks a span of buf[0:size): 0 <= starts[r] <= ends[r] <= size. */
static inline int span_ok(const int64_t *starts, const int64_t *ends, int64_t n_spans, int64_t size,
                          int64_t r)
{
    return r >= 0 && r < n_spans && starts[r] >= 0 && starts[r] <= ends[r] && ends[r] <= size;
}

/* Offsets of the strings buf[starts[r]:ends[r]] (buf holds size bytes, starts and ends n_spans
 * entries) for the n rows r in rows, back to back: offsets[0] = 0 .. offsets[n] = their total
 * length, which is returned; -1 when a row or span is out of range. */
int64_t gather_offsets(int64_t size, const int64_t *starts, const int64_t *ends, int64_t n_spans,
                       const int64_t *rows, int64_t n, int64_t *offsets)
{
    int64_t total = 0;
    offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rows[i];
        if (!span_ok(starts, ends, n_spans, size, r))
            return -1;
        total += ends[r] - starts[r];
        offsets[i + 1] = total;
    }
    return total;
}

/* Copy those strings into data at the offsets gather_offsets wrote. */
void gather_copy(const uint8_t *buf, const int64_t *starts, const int64_t *rows, int64_t n,
                 const int64_t *offsets, uint8_t *data)
{
    for (int64_t i = 0; i < n; i++) {
        memcpy(data + offsets[i], buf + starts[rows[i]], (size_t)(offsets[i + 1] - offsets[i]));
    }
}

static const uint64_t HASH_SEED = 0x9E3779B97F4A7C15ULL;
static const uint64_t HASH_MUL = 0xFF51AFD7ED558CCDULL;

/* A 64-bit hash of buf[a:a + length], mixing eight bytes per multiply. */
static inline uint64_t hash_bytes(const uint8_t *buf, int64_t a, int64_t length)
{
    uint64_t h = HASH_SEED ^ (uint64_t)length;
    const int64_t end = a + length;
    for (int64_t j = a; j < end; j += 8) {
        uint64_t word = 0;
        if (end - j >= 8) {
            word = load_word(buf, j);
        } else {
            for (int64_t k = 0; k < end - j; k++)
                word |= (uint64_t)buf[j + k] << (8 * k);
        }
        h = (h ^ word) * HASH_MUL;
        h ^= h >> 29;
    }
    return h;
}

/* An open-addressing hash table (linear probing, at most half full) over the distinct values,
 * which are kept back to back in an arena so that the byte comparisons stay in cache. */
struct dictionary {
    int64_t cap;      /* table slots, a power of two */
    int64_t count;    /* distinct values */
    int32_t *table;   /* cap slots: a value's number, or -1 */
    uint64_t *hashes; /* cap / 2 */
    int64_t *offsets; /* cap / 2 + 1: each value's start in the arena */
    uint8_t *arena;
    int64_t arena_size;
};

static void dictionary_free(struct dictionary *dict)
{
    free(dict->table);
    free(dict->hashes);
    free(dict->offsets);
    free(dict->arena);
}

/* Double the table and re-insert the values. Returns 0, or -1 when out of memory. */
static int dictionary_grow(struct dictionary *dict)
{
    const int64_t cap = 2 * dict->cap;
    const uint64_t mask = (uint64_t)cap - 1;
    int32_t *table = malloc((size_t)cap * sizeof *table);
    uint64_t *hashes = realloc(dict->hashes, (size_t)(cap / 2) * sizeof *hashes);
    if (hashes)
        dict->hashes = hashes;
    int64_t *offsets = realloc(dict->offsets, (size_t)(cap / 2 + 1) * sizeof *offsets);
    if (offsets)
        dict->offsets = offsets;
    if (!table || !hashes || !offsets) {
        free(table);
        return -1;
    }
    memset(table, 0xFF, (size_t)cap * sizeof *table);
    for (int64_t v = 0; v < dict->count; v++) {
        uint64_t slot = dict->hashes[v] & mask;
        while (table[slot] >= 0)
            slot = (slot + 1) & mask;
        table[slot] = (int32_t)v;
    }
    free(dict->table);
    dict->table = table;
    dict->cap = cap;
    return 0;
}

/* Dictionary-encode buf[starts[r]:ends[r]] (buf holds size bytes, starts and ends n_spans
 * entries) for the n rows r in rows: codes[i] is the number of row i's value in order of first
 * sight, firsts[code] the row where that value first occurs. Returns the number of distinct
 * values; -1 when out of memory, -2 when a row or span is out of range. */
int64_t encode_spans(const uint8_t *buf, int64_t size, const int64_t *starts, const int64_t *ends,
                     int64_t n_spans, const int64_t *rows, int64_t n, int32_t *codes,
                     int64_t *firsts)
{
    struct dictionary dict = {1024, 0, NULL, NULL, NULL, NULL, 1024 * 16};
    dict.table = malloc((size_t)dict.cap * sizeof *dict.table);
    dict.hashes = malloc((size_t)(dict.cap / 2) * sizeof *dict.hashes);
    dict.offsets = malloc((size_t)(dict.cap / 2 + 1) * sizeof *dict.offsets);
    dict.arena = malloc((size_t)dict.arena_size);
    if (!dict.table || !dict.hashes || !dict.offsets || !dict.arena) {
        dictionary_free(&dict);
        return -1;
    }
    memset(dict.table, 0xFF, (size_t)dict.cap * sizeof *dict.table);
    dict.offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rows[i];
        if (!span_ok(starts, ends, n_spans, size, r)) {
            dictionary_free(&dict);
            return -2;
        }
        const int64_t a = starts[r];
        const int64_t length = ends[r] - a;
        const uint64_t h = hash_bytes(buf, a, length);
        const uint64_t mask = (uint64_t)dict.cap - 1;
        uint64_t slot = h & mask;
        int32_t u;
        while ((u = dict.table[slot]) >= 0) {
            const int64_t o = dict.offsets[u];
            if (dict.hashes[u] == h && dict.offsets[u + 1] - o == length &&
                memcmp(buf + a, dict.arena + o, (size_t)length) == 0)
                break;
            slot = (slot + 1) & mask;
        }
        if (u >= 0) {
            codes[i] = u;
            continue;
        }
        /* a new value: store it, then grow the table once it is half full */
        const int64_t o = dict.offsets[dict.count];
        if (o + length > dict.arena_size) {
            const int64_t size = 2 * (o + length);
            uint8_t *arena = realloc(dict.arena, (size_t)size);
            if (!arena) {
                dictionary_free(&dict);
                return -1;
            }
            dict.arena = arena;
            dict.arena_size = size;
        }
        memcpy(dict.arena + o, buf + a, (size_t)length);
        dict.offsets[dict.count + 1] = o + length;
        dict.table[slot] = (int32_t)dict.count;
        dict.hashes[dict.count] = h;
        firsts[dict.count] = r;
        codes[i] = (int32_t)dict.count;
        dict.count++;
        if (2 * dict.count >= dict.cap && dictionary_grow(&dict) < 0) {
            dictionary_free(&dict);
            return -1;
        }
    }
    dictionary_free(&dict);
    return dict.count;
}

/* Number of '\n' bytes in buf[start:stop]: sixteen bytes at a time with SSE2 (twice the speed of
 * the words alone on a 2 M-line log), then eight: each word is XORed with '\n' repeated, so
 * newline bytes become zero; the exact zero-byte test ~(((w & 0x7F..) + 0x7F..) | w | 0x7F..)
 * leaves one high bit per zero byte, and a multiply adds those bits up. */
int64_t count_lines(const uint8_t *buf, int64_t start, int64_t stop)
{
    const uint64_t newlines = 0x0A0A0A0A0A0A0A0AULL;
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    int64_t count = 0;
    int64_t k = start;
#if HAVE_SSE2
    /* Each lane counts its matches in a byte (0xFF per match, subtracted), so at most 255 rounds
     * before the lanes are summed. */
    const __m128i nl = _mm_set1_epi8(10);
    while (k + 16 <= stop) {
        int64_t rounds = (stop - k) / 16;
        rounds = rounds < 255 ? rounds : 255;
        __m128i lanes = _mm_setzero_si128();
        for (int64_t r = 0; r < rounds; r++, k += 16)
            lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(_mm_loadu_si128((const void *)(buf + k)), nl));
        const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
        count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; k + 8 <= stop; k += 8) {
        const uint64_t w = load_word(buf, k) ^ newlines;
        const uint64_t t = ~(((w & low7) + low7) | w | low7);
        count += (int64_t)(((t >> 7) * ONES) >> 56);
    }
    for (; k < stop; k++)
        count += buf[k] == 10;
    return count;
}

/* ------------------------------------------------------------------ the (empty) Python module */

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_nginx_scan",
    .m_doc = "The NGINX scanner's C functions, called through ctypes (see nginx_kernel.py).",
    .m_size = 0,
};

PyMODINIT_FUNC PyInit__nginx_scan(void)
{
    return PyModule_Create(&module);
}
