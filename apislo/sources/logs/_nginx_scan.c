/* The access-log scanner in C99 (NGINX templates, and Envoy's): tokenise and convert a chunk of
 * lines in one pass.
 *
 * Plain C functions over fixed-width types and pointers, called through ctypes by
 * apislo/sources/logs/nginx_kernel.py (which documents the arguments and owns every array).
 * The functions touch no Python object, so ctypes runs them without the GIL and several threads
 * may scan parts of one chunk at once. Every read (and prefetch hint) stays inside [0, size)
 * of the buffer.
 *
 * scan_chunk first compiles the template's pieces into steps (compile_steps), each with a fast
 * path for its rule and conversion; whatever a fast path does not vouch for goes to generic_var,
 * the general code for any variable. The fast paths were checked against the general code byte
 * for byte on millions of fuzzed lines.
 *
 * Conventions: times are int64 epoch microseconds (UTC); decimal numbers are correctly rounded
 * doubles; a value the scanner cannot vouch for makes the whole line ok = 0 (the exact path
 * decides it). Byte values in comments are ASCII: 10 '\n', 13 '\r', 32 ' ', 34 '"', 44 ',',
 * 45 '-', 46 '.', 47 '/', 58 ':', 90 'Z', 92 '\\', 93 ']'.
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
    RULE_GREEDY = 5,     /* [^ ]*  backing off to the last place the next literal matches */
    RULE_TOKEN = 6       /* \S+  up to ' ', '\r' or '\n' (a value another byte \s may match: unsure) */
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
    CONV_STRING = 9,
    CONV_TIME_RFC3339 = 10,
    CONV_TIME_CLF = 11,
    CONV_TIME_NAIVE = 12,
    CONV_TIMER = 13
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

/* clock_seconds without loops: the same result. */
static inline int64_t clock_fast(const uint8_t *buf, int64_t p)
{
    const unsigned h1 = (unsigned)buf[p] - 48u, h2 = (unsigned)buf[p + 1] - 48u;
    const unsigned m1 = (unsigned)buf[p + 3] - 48u, m2 = (unsigned)buf[p + 4] - 48u;
    const unsigned s1 = (unsigned)buf[p + 6] - 48u, s2 = (unsigned)buf[p + 7] - 48u;
    if ((h1 > 9) | (h2 > 9) | (m1 > 9) | (m2 > 9) | (s1 > 9) | (s2 > 9) | (buf[p + 2] != 58) |
        (buf[p + 5] != 58))
        return -1;
    const int64_t hh = h1 * 10 + h2, mm = m1 * 10 + m2, ss = s1 * 10 + s2;
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

/* The date 10/Sep/2015 at s (its '/' bytes checked by the caller) -> days since the epoch, or
 * -1 when it is no date. */
static inline int64_t clf_date(const uint8_t *buf, int64_t s)
{
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
        return -1;
    return days_from_civil(y, m, d);
}

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
        const int64_t days = clf_date(buf, s);
        if (days < 0)
            return 0;
        /* zone: [+-]HH[0-5]M, as the exact path's _offset_seconds accepts it */
        const int64_t sign = buf[s + 21];
        const int64_t zh = digits(buf, s + 22, 2);
        const int64_t zm = digits(buf, s + 24, 2);
        if ((sign != 43 && sign != 45) || zh < 0 || zm < 0 || zm > 59)
            return 0;
        const int64_t offset = (zh * 3600 + zm * 60) * (sign == 45 ? -1 : 1);
        *cache = (struct day_cache){date, year, zone, days * 86400 - offset, 1};
    }
    const int64_t secs = clock_seconds(buf, s + 12);
    if (secs < 0)
        return 0;
    *us = (cache->base + secs) * 1000000;
    return 1;
}

/* 2024-02-29T23:59:59[.ffffff]+05:30 (with zulu, 2024-02-29T23:59:59[.ffffff]Z too) -> 1 and
 * *us = epoch microseconds (UTC); else 0. */
static inline int time_iso(const uint8_t *buf, int64_t s, int64_t e, int zulu, int64_t *us)
{
    if (e - s < (zulu ? 20 : 25) || buf[s + 4] != 45 || buf[s + 7] != 45 || buf[s + 10] != 84)
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
    if (zulu && e - p == 1 && buf[p] == 90) {
        *us = (days_from_civil(y, m, d) * 86400 + secs) * 1000000 + micros;
        return 1;
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

/* 06/Feb/2009:12:14:14[.ffffff] (no zone) -> 1 and *us = microseconds since the epoch of that
 * wall-clock time read as UTC; else 0. */
static inline int time_naive(const uint8_t *buf, int64_t s, int64_t e, int64_t *us)
{
    if (e - s < 20 || buf[s + 2] != 47 || buf[s + 6] != 47 || buf[s + 11] != 58)
        return 0;
    const int64_t days = clf_date(buf, s);
    if (days < 0)
        return 0;
    const int64_t secs = clock_seconds(buf, s + 12);
    if (secs < 0)
        return 0;
    int64_t micros = 0;
    int64_t p = s + 20;
    if (p < e) {
        if (buf[p] != 46 || e - p < 2 || e - p > 7)
            return 0;
        for (p++; p < e; p++) {
            if (buf[p] < 48 || buf[p] > 57)
                return 0;
            micros = micros * 10 + (buf[p] - 48);
        }
        for (int64_t n = e - s - 21; n < 6; n++)
            micros *= 10;
    }
    *us = (days * 86400 + secs) * 1000000 + micros;
    return 1;
}

/* NGINX's "-" (not set) or an empty value. */
static inline int is_null(const uint8_t *buf, int64_t s, int64_t e)
{
    return e == s || (e - s == 1 && buf[s] == 45);
}

/* The correctly rounded double of a decimal written with the digits of mant (below 10**15, so
 * exact) and frac of them after the point: one IEEE division by an exact power of ten. */
static inline double decimal_value(uint64_t mant, int64_t frac)
{
    return frac > 0 ? (double)(int64_t)mant / POW10[frac] : (double)(int64_t)mant;
}

/* \d+(\.\d+)? from p (not past e): where it ends, the value of all its digits in *mant (wrapping
 * harmlessly past 19 digits: callers refuse more than 15), their number in *n and how many follow
 * the point in *frac. A point not followed by a digit is not part of it. */
static inline int64_t decimal_run(const uint8_t *buf, int64_t p, int64_t e, uint64_t *mant,
                                  int64_t *n, int64_t *frac)
{
    uint64_t m = 0;
    int64_t q = p;
    while (q < e && (uint8_t)(buf[q] - 48) <= 9)
        m = m * 10 + (uint64_t)(buf[q++] - 48);
    int64_t digits_read = q - p;
    int64_t after_point = 0;
    if (digits_read >= 1 && q + 1 < e && buf[q] == 46 && (uint8_t)(buf[q + 1] - 48) <= 9) {
        const int64_t f = ++q;
        while (q < e && (uint8_t)(buf[q] - 48) <= 9)
            m = m * 10 + (uint64_t)(buf[q++] - 48);
        after_point = q - f;
        digits_read += after_point;
    }
    *mant = m;
    *n = digits_read;
    *frac = after_point;
    return q;
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
    *value = decimal_value(mant, frac);
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
    if (e - s < 8) {
        for (int64_t k = s; k < e; k++) {
            if (buf[k] >= 128)
                return 0;
        }
        return 1;
    }
    /* whole words, the last one ending at e (it may overlap the one before) */
    uint64_t high = load_word(buf, e - 8);
    for (int64_t k = s; k + 8 <= e; k += 8)
        high |= load_word(buf, k);
    return (high & HIGH) == 0;
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

/* Whether c is an ASCII letter, of either case: setting bit 5 makes 'A'-'Z' 'a'-'z', and no
 * other byte ('@', '[', '`', '{'...) a lower-case letter. */
static inline int is_letter(uint8_t c)
{
    return (uint8_t)((c | 32) - 97) <= 25;
}

/* METHOD TARGET PROTO -> 1 with the end of the method and of the target; else 0. The method
 * is a letter of either case, then letters, '_' and '-'. */
static inline int request(const uint8_t *buf, int64_t s, int64_t e, const struct program *prog,
                          int64_t *m_end, int64_t *t_end)
{
    int64_t p = s;
    for (; p < e; p++) {
        const uint8_t c = buf[p];
        if (!(is_letter(c) || ((c == 95 || c == 45) && p > s)))
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

/* First offset in [q, e) holding '"', '\\' or '\n' (and ' ' too when space): e if none.
 * Sixteen bytes at a time with SSE2. */
static inline int64_t find_quoted(const uint8_t *buf, int64_t q, int64_t e, int space)
{
#if HAVE_SSE2
    const __m128i vq = _mm_set1_epi8(34);
    const __m128i vb = _mm_set1_epi8(92);
    const __m128i vn = _mm_set1_epi8(10);
    const __m128i vs = _mm_set1_epi8(space ? 32 : 34);
    while (q + 16 <= e) {
        const __m128i x = _mm_loadu_si128((const void *)(buf + q));
        const __m128i quote_or_escape = _mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb));
        const __m128i newline_or_end = _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vs));
        const __m128i hit = _mm_or_si128(quote_or_escape, newline_or_end);
        const int bits = _mm_movemask_epi8(hit);
        if (bits)
            return q + __builtin_ctz((unsigned)bits);
        q += 16;
    }
#endif
    const int64_t s = space ? 32 : 34;
    for (; q < e; q++) {
        const int64_t x = buf[q];
        if (x == 34 || x == 92 || x == 10 || x == s)
            return q;
    }
    return e;
}

/* Where a RULE_QUOTED value starting at q ends: its first unescaped '"', or -1 when an escape
 * ends the line. */
static inline int64_t quoted_end(const uint8_t *buf, int64_t q, int64_t e)
{
    for (;;) {
        q = find_quoted(buf, q, e, 0);
        if (q < e && buf[q] == 92) {
            if (q + 1 >= e || buf[q + 1] == 10)
                return -1;
            q += 2;
            continue;
        }
        return q;
    }
}

/* Where a value starting at p ends under rule; -1 when it cannot. e is the end of the chunk:
 * every scan also stops at the line's '\n'. */
static inline int64_t value_end(const uint8_t *buf, int64_t p, int64_t e, int64_t rule,
                                int64_t delim, const uint8_t *lit, int64_t next_a, int64_t next_n)
{
    int64_t q = p;
    if (rule == RULE_QUOTED)
        return quoted_end(buf, p, e);
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
    if (rule == RULE_TOKEN) {
        for (; q < e; q++) {
            const uint8_t c = buf[q];
            if (c == 32 || c == 10 || c == 13)
                break;
            /* other ASCII whitespace, and bytes \s may read as Unicode whitespace */
            if ((c >= 9 && c <= 12) || (c >= 28 && c <= 31) || c >= 128)
                return -1;
        }
        return q > p ? q : -1;
    }
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

/* Variable piece i of the program at p: find where its value ends, convert it and write it in
 * row. Returns the value's end, or -1 when unsure. */
static int64_t generic_var(const uint8_t *buf, int64_t p, int64_t e, int64_t row, int64_t i,
                           const struct program *prog, const struct outputs *out,
                           struct day_cache *days)
{
    const int64_t w = out->width;
    const int64_t nxt = i + 1 < prog->n_pieces ? i + 1 : i;
    const int64_t q = value_end(buf, p, e, prog->rules[i], prog->delims[i], prog->lit,
                                prog->lit_a[nxt], prog->lit_n[nxt]);
    if (q < 0)
        return -1;
    const int64_t conv = prog->convs[i];
    const int64_t slot = prog->slots[i];
    const int64_t at = slot * w + row;
    if (conv == CONV_TIME_LOCAL || conv == CONV_TIME_ISO || conv == CONV_TIME_RFC3339 ||
        conv == CONV_TIME_CLF || conv == CONV_TIME_NAIVE) {
        int64_t us;
        int good;
        if (conv == CONV_TIME_LOCAL || conv == CONV_TIME_CLF)
            good = time_local(buf, p, q, days, &us);
        else if (conv == CONV_TIME_NAIVE)
            good = time_naive(buf, p, q, &us);
        else
            good = time_iso(buf, p, q, conv == CONV_TIME_RFC3339, &us);
        /* CONV_TIME_CLF: a zone of less than 24 hours, as a strptime %z takes it */
        if (!good || (conv == CONV_TIME_CLF && digits(buf, p + 22, 2) > 23))
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
    } else if (conv == CONV_TIMER) {
        if (q - p == 2 && buf[p] == 45 && buf[p + 1] == 49) {
            out->ivalid[at] = 0; /* -1: not reached */
        } else {
            const int64_t value = integer(buf, p, q, 18);
            if (value < 0)
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
    return q;
}

/* ------------------------------------------------------------------ the compiled program */

/* What a step does: a literal, or a variable with a fast path for its rule and conversion (each
 * fast path hands the unusual cases to generic_var, the general code for any variable). */
enum {
    OP_LIT = 0,        /* literal of 1 to 8 bytes */
    OP_LIT_LONG,       /* literal of 0 or more than 8 bytes */
    OP_GENERIC,        /* any variable: generic_var */
    OP_DELIM_SKIP,     /* RULE_DELIM, CONV_SKIP */
    OP_DELIM_STRING,   /* RULE_DELIM, CONV_STRING */
    OP_DELIM_INT,      /* RULE_DELIM, CONV_INT or CONV_STATUS */
    OP_DELIM_FLOAT,    /* RULE_DELIM, CONV_FLOAT */
    OP_QUOTED_SKIP,    /* RULE_QUOTED, CONV_SKIP */
    OP_QUOTED_STRING,  /* RULE_QUOTED, CONV_STRING */
    OP_QUOTED_REQUEST, /* RULE_QUOTED, CONV_REQUEST */
    OP_TIME_LOCAL,     /* RULE_TIME_LOCAL, CONV_TIME_LOCAL */
    OP_LIST            /* RULE_LIST, CONV_LIST */
};

#define MAX_STEPS 64 /* steps kept on the stack; longer templates allocate theirs */
#define MAX_PROTOS 32

/* The accepted protocols as words (each at most 8 bytes, zero past its length). */
struct proto_words {
    int64_t count;
    int64_t len[MAX_PROTOS];
    uint64_t word[MAX_PROTOS];
};

/* The protocols as words; 0 when one is longer than 8 bytes or there are too many. */
static int make_proto_words(const struct program *prog, struct proto_words *pw)
{
    pw->count = prog->n_proto_off - 1;
    if (pw->count < 0 || pw->count > MAX_PROTOS)
        return 0;
    for (int64_t k = 0; k < pw->count; k++) {
        const int64_t a = prog->proto_off[k];
        const int64_t n = prog->proto_off[k + 1] - a;
        if (n < 0 || n > 8)
            return 0;
        pw->len[k] = n;
        pw->word[k] = 0;
        for (int64_t j = 0; j < n; j++)
            pw->word[k] |= (uint64_t)prog->protos[a + j] << (8 * j);
    }
    return 1;
}

struct step {
    int32_t op;
    int32_t delim;   /* RULE_DELIM's byte */
    int64_t piece;   /* index in the program */
    uint64_t word;   /* literal: its first bytes (OP_LIT), under mask */
    uint64_t mask;
    const uint8_t *lit; /* literal: its bytes */
    int64_t lit_n;
    int64_t max_digits; /* OP_DELIM_INT: 18 or 5 */
    int64_t *ints;      /* the step's output rows (row 0), or NULL */
    uint8_t *ivalid;
    double *floats;
    uint8_t *fvalid;
    int64_t *ints_b; /* CONV_LIST: attempts, and is_list below */
    uint8_t *ivalid_b;
    int64_t *ints_c;
    uint8_t *ivalid_c;
    int64_t *span0, *span1, *span2, *span3;
    const struct proto_words *protos; /* OP_QUOTED_REQUEST: the protocols as words, or NULL */
};

static int64_t compile_steps(const struct program *prog, const struct outputs *out,
                             struct step *steps, const struct proto_words *protos)
{
    int64_t n_steps = 0;
    const int64_t w = out->width;
    for (int64_t i = 0; i < prog->n_pieces; i++) {
        if (prog->kinds[i] == 0 && i > 0 && prog->kinds[i - 1] != 0 && prog->lit_n[i] >= 1 &&
            prog->lit_n[i] <= 8) {
            /* a short literal after a variable: checked by the variable's step */
            struct step *prev = &steps[n_steps - 1];
            prev->lit = prog->lit + prog->lit_a[i];
            prev->lit_n = prog->lit_n[i];
            for (int64_t k = 0; k < prev->lit_n; k++) {
                prev->word |= (uint64_t)prev->lit[k] << (8 * k);
                prev->mask |= (uint64_t)0xFF << (8 * k);
            }
            continue;
        }
        struct step *st = &steps[n_steps++];
        memset(st, 0, sizeof *st);
        st->lit = prog->lit;
        st->piece = i;
        if (prog->kinds[i] == 0) {
            const int64_t n = prog->lit_n[i];
            st->lit = prog->lit + prog->lit_a[i];
            st->lit_n = n;
            if (n >= 1 && n <= 8) {
                st->op = OP_LIT;
                for (int64_t k = 0; k < n; k++) {
                    st->word |= (uint64_t)st->lit[k] << (8 * k);
                    st->mask |= (uint64_t)0xFF << (8 * k);
                }
            } else {
                st->op = OP_LIT_LONG;
            }
            continue;
        }
        const int64_t rule = prog->rules[i];
        const int64_t conv = prog->convs[i];
        const int64_t slot = prog->slots[i];
        st->op = OP_GENERIC;
        st->delim = (int32_t)(prog->delims[i] & 0xFF);
        if (rule == RULE_DELIM && prog->delims[i] >= 0 && prog->delims[i] <= 255 &&
            prog->delims[i] != 10) {
            if (conv == CONV_SKIP) {
                st->op = OP_DELIM_SKIP;
            } else if (conv == CONV_STRING) {
                st->op = OP_DELIM_STRING;
                st->span0 = out->spans + (2 * slot) * w;
                st->span1 = out->spans + (2 * slot + 1) * w;
            } else if (conv == CONV_INT || conv == CONV_STATUS) {
                /* digits never end the value: the delimiter must not be one */
                if (prog->delims[i] < 48 || prog->delims[i] > 57) {
                    st->op = OP_DELIM_INT;
                    st->max_digits = conv == CONV_INT ? 18 : 5;
                    st->ints = out->ints + slot * w;
                    st->ivalid = out->ivalid + slot * w;
                }
            } else if (conv == CONV_FLOAT) {
                if ((prog->delims[i] < 48 || prog->delims[i] > 57) && prog->delims[i] != 46) {
                    st->op = OP_DELIM_FLOAT;
                    st->floats = out->floats + slot * w;
                    st->fvalid = out->fvalid + slot * w;
                }
            }
        } else if (rule == RULE_QUOTED) {
            if (conv == CONV_SKIP) {
                st->op = OP_QUOTED_SKIP;
            } else if (conv == CONV_STRING) {
                st->op = OP_QUOTED_STRING;
                st->span0 = out->spans + (2 * slot) * w;
                st->span1 = out->spans + (2 * slot + 1) * w;
            } else if (conv == CONV_REQUEST) {
                st->op = OP_QUOTED_REQUEST;
                st->protos = protos;
                st->span0 = out->spans + (2 * slot) * w;
                st->span1 = out->spans + (2 * slot + 1) * w;
                st->span2 = out->spans + (2 * slot + 2) * w;
                st->span3 = out->spans + (2 * slot + 3) * w;
            }
        } else if (rule == RULE_TIME_LOCAL && conv == CONV_TIME_LOCAL) {
            st->op = OP_TIME_LOCAL;
            st->ints = out->ints + slot * w;
            st->ivalid = out->ivalid + slot * w;
        } else if (rule == RULE_LIST && conv == CONV_LIST) {
            st->op = OP_LIST;
            st->floats = out->floats + slot * w;
            st->fvalid = out->fvalid + slot * w;
            st->ints_b = out->ints + prog->slots_b[i] * w;
            st->ivalid_b = out->ivalid + prog->slots_b[i] * w;
            st->ints_c = out->ints + (prog->slots_b[i] + 1) * w;
            st->ivalid_c = out->ivalid + (prog->slots_b[i] + 1) * w;
        }
    }
    return n_steps;
}

/* First offset in [q, e) holding byte a or '\n'; e if none. */
static inline int64_t find_delim(const uint8_t *buf, int64_t q, int64_t e, int64_t a)
{
    const uint64_t wa = (uint64_t)a * ONES;
    const uint64_t wn = (uint64_t)10 * ONES;
    while (q + 8 <= e) {
        const uint64_t word = load_word(buf, q);
        const uint64_t hits = zero_bytes(word ^ wa) | zero_bytes(word ^ wn);
        if (hits)
            return q + (int64_t)(__builtin_ctzll(hits) >> 3);
        q += 8;
    }
    for (; q < e; q++) {
        const int64_t x = buf[q];
        if (x == a || x == 10)
            return q;
    }
    return e;
}


/* Bytes a method may hold after its first (a letter): letters of either case, '_' and '-'.
 * NGINX logs the method as the client sent it (`get`); normalising upper-cases it, as every
 * format's method (until 2026-11-30 a lower-case one was bad_request_line). */
static const uint8_t METHOD_BYTE[256] = {
    ['-'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Number of ASCII digits at the start of word (its bytes in memory order), 0 to 8: a byte
 * is a digit when its high nibble is 3 and its low nibble plus 6 does not carry into the high
 * one; x is zero exactly in the digit bytes. */
static inline int64_t leading_digits(uint64_t word)
{
    const uint64_t nibbles = 0xF0F0F0F0F0F0F0F0ULL;
    const uint64_t x = ((word & nibbles) ^ 0x3030303030303030ULL) |
                       (((word & 0x0F0F0F0F0F0F0F0FULL) + 0x0606060606060606ULL) & nibbles);
    return x ? (int64_t)(__builtin_ctzll(x) >> 3) : 8;
}

/* Value of the first k (0 to 8) bytes of word, all digits: the digits are moved to the top
 * (leading zeros below), then pairs, quads and octets are combined with three multiplies. */
static inline uint64_t digits_value(uint64_t word, int64_t k)
{
    if (k == 0)
        return 0;
    uint64_t v = (word & 0x0F0F0F0F0F0F0F0FULL) << (8 * (8 - k));
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
    v = (v * 10000 + (v >> 32)) & 0x00000000FFFFFFFFULL;
    return v;
}


/* Whether a literal of 1 to 8 bytes (its step) is at p: one word compare when 8 bytes remain. */
static inline int lit_ok(const uint8_t *buf, int64_t p, int64_t e, const struct step *st)
{
    if (p + 8 <= e)
        return ((load_word(buf, p) ^ st->word) & st->mask) == 0;
    return p + st->lit_n <= e && same_bytes(buf + p, st->lit, st->lit_n);
}

/* Follow the steps over the line starting at s (e: end of the chunk) and write its values in
 * row. Returns the offset of the line's '\n' (or e), or -1 when unsure. */
static int64_t scan_steps(const uint8_t *buf, int64_t s, int64_t e, int64_t row,
                          const struct step *steps, int64_t n_steps, const struct program *prog,
                          const struct outputs *out, struct day_cache *days)
{
    int64_t p = s;
    for (const struct step *st = steps; st < steps + n_steps; st++) {
        int64_t q;
        switch (st->op) {
        case OP_LIT:
            if (!lit_ok(buf, p, e, st))
                return -1;
            p += st->lit_n;
            continue;
        case OP_LIT_LONG:
            if (!literal_at(buf, p, e, st->lit, 0, st->lit_n))
                return -1;
            p += st->lit_n;
            continue;
        case OP_DELIM_SKIP:
            p = find_delim(buf, p, e, st->delim);
            goto literal;
        case OP_DELIM_STRING:
            q = find_delim(buf, p, e, st->delim);
            if (!is_ascii(buf, p, q))
                return -1;
            st->span0[row] = p;
            st->span1[row] = q;
            p = q;
            goto literal;
        case OP_DELIM_INT: {
            /* digits up to the delimiter, '\n' or the end */
            uint64_t value = 0;
            q = p;
            if (p + 8 <= e) {
                /* up to 7 digits in one word, the byte after them inside it */
                const uint64_t word = load_word(buf, p);
                const int64_t k = leading_digits(word);
                if (k < 8) {
                    value = digits_value(word, k);
                    q = p + k;
                }
            }
            if (q == p) {
                while (q < e && (uint8_t)(buf[q] - 48) <= 9) {
                    value = value * 10 + (uint64_t)(buf[q] - 48);
                    q++;
                }
            }
            const int64_t n = q - p;
            if (n >= 1 && n <= st->max_digits && (n == 1 || buf[p] != 48) &&
                (q == e || buf[q] == st->delim || buf[q] == 10)) {
                if (st->max_digits == 5 && value > 32767)
                    return -1;
                st->ints[row] = (int64_t)value;
                st->ivalid[row] = 1;
                p = q;
                goto literal;
            }
            break;
        }
        case OP_DELIM_FLOAT: {
            /* \d+(\.\d+)? up to the delimiter, '\n' or the end, at most 15 digits */
            uint64_t mant;
            int64_t n, frac;
            q = decimal_run(buf, p, e, &mant, &n, &frac);
            if (n >= 1 && n <= 15 && (q == e || buf[q] == st->delim || buf[q] == 10)) {
                st->floats[row] = decimal_value(mant, frac);
                st->fvalid[row] = 1;
                p = q;
                goto literal;
            }
            break;
        }
        case OP_QUOTED_SKIP:
            p = quoted_end(buf, p, e);
            if (p < 0)
                return -1;
            goto literal;
        case OP_QUOTED_STRING:
            q = quoted_end(buf, p, e);
            if (q < 0 || !is_ascii(buf, p, q))
                return -1;
            st->span0[row] = p;
            st->span1[row] = q;
            p = q;
            goto literal;
        case OP_QUOTED_REQUEST: {
            /* METHOD ' ' TARGET ' ' PROTO '"' with no '"', '\\' or '\n' before the last '"' */
            int64_t m = p;
            if (m < e && is_letter(buf[m])) {
                m++;
                while (m < e && METHOD_BYTE[buf[m]])
                    m++;
            }
            if (m == p || m >= e || buf[m] != 32)
                break;
            const int64_t t = find_quoted(buf, m + 1, e, 1);
            if (t == m + 1 || t >= e || buf[t] != 32)
                break;
            q = find_quoted(buf, t + 1, e, 0);
            if (q >= e || buf[q] != 34)
                break;
            /* the value is [p, q): request()'s checks */
            if (!is_ascii(buf, m + 1, t))
                return -1;
            int found = 0;
            const int64_t n_proto = q - (t + 1);
            if (st->protos && n_proto <= 8 && t + 9 <= e) {
                /* the protocol as one word (zero past its length) against each accepted one */
                const uint64_t keep =
                    n_proto == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n_proto)) - 1;
                const uint64_t x = load_word(buf, t + 1) & keep;
                for (int64_t k = 0; k < st->protos->count; k++) {
                    if (st->protos->len[k] == n_proto && st->protos->word[k] == x) {
                        found = 1;
                        break;
                    }
                }
                if (!found)
                    return -1;
            }
            for (int64_t k = 0; !found && k < prog->n_proto_off - 1; k++) {
                const int64_t a = prog->proto_off[k];
                const int64_t n = prog->proto_off[k + 1] - a;
                if (q - (t + 1) == n && same_bytes(buf + t + 1, prog->protos + a, n)) {
                    found = 1;
                    break;
                }
            }
            if (!found)
                return -1;
            st->span0[row] = p;
            st->span1[row] = m;
            st->span2[row] = m + 1;
            st->span3[row] = t;
            p = q;
            goto literal;
        }
        case OP_TIME_LOCAL:
            /* a converted $time_local is 26 bytes with none of ' ', ']', '\n' but byte 20, so
             * the rule's end is p + 26 exactly when that is the end, ' ', ']' or '\n' */
            q = p + 26;
            if (q <= e && (q == e || buf[q] == 32 || buf[q] == 93 || buf[q] == 10)) {
                int64_t us;
                if (days->valid && buf[p + 11] == 58 && buf[p + 20] == 32 &&
                    load_word(buf, p) == days->date && load_word(buf, p + 3) == days->year &&
                    (load_word(buf, p + 18) >> 24) == days->zone) {
                    /* the day and zone of the cache (whose '/' bytes 2 and 6 were checked when
                     * it was filled): time_local's clock alone */
                    const int64_t secs = clock_fast(buf, p + 12);
                    if (secs < 0)
                        return -1;
                    us = (days->base + secs) * 1000000;
                } else if (!time_local(buf, p, q, days, &us)) {
                    return -1;
                }
                st->ints[row] = us;
                st->ivalid[row] = 1;
                p = q;
                goto literal;
            }
            return -1;
        case OP_LIST: {
            /* one member \d+(\.\d+)? (or "-") that ends the line or is followed by a plain ' ' */
            uint64_t mant;
            int64_t n, frac;
            q = decimal_run(buf, p, e, &mant, &n, &frac);
            const int dash = n == 0 && q < e && buf[q] == 45;
            if (dash)
                q++;
            if ((n >= 1 && n <= 15) || dash) {
                const int group = q + 3 < e && buf[q + 1] == 58 && buf[q + 2] == 32; /* " : " */
                const int ends =
                    q == e || buf[q] == 10 || buf[q] == 13 || (buf[q] == 32 && !group);
                if (ends) {
                    if (dash) {
                        st->fvalid[row] = 0;
                        st->ivalid_b[row] = 0;
                    } else {
                        st->floats[row] = decimal_value(mant, frac);
                        st->fvalid[row] = 1;
                        st->ints_b[row] = 1;
                        st->ivalid_b[row] = 1;
                    }
                    st->ints_c[row] = 0;
                    st->ivalid_c[row] = 1;
                    p = q;
                    goto literal;
                }
            }
            break;
        }
        default:
            break;
        }
        /* the generic step */
        p = generic_var(buf, p, e, row, st->piece, prog, out, days);
        if (p < 0)
            return -1;
    literal:
        /* the literal after the variable (none: mask 0 and length 0 always match) */
        if (!lit_ok(buf, p, e, st))
            return -1;
        p += st->lit_n;
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
 * outputs (each [slot][row] array has rows of width entries). Returns the lines kept; -1 when
 * out of memory for the steps of a template over MAX_STEPS pieces. */
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
    struct step local[MAX_STEPS];
    struct step *steps = n_pieces <= MAX_STEPS ? local : malloc((size_t)n_pieces * sizeof *steps);
    if (!steps)
        return -1;
    struct proto_words pwords;
    const int words = make_proto_words(&prog, &pwords);
    const int64_t n_steps = compile_steps(&prog, &out, steps, words ? &pwords : NULL);
    for (int64_t row = row0; row < row0 + n_lines; row++) {
        int64_t end = scan_steps(buf, pos, size, row, steps, n_steps, &prog, &out, &days);
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
    if (steps != local)
        free(steps);
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

/* How many rows ahead encode_spans asks for a value's bytes. */
#define PREFETCH_ROWS 32

static const uint64_t HASH_SEED = 0x9E3779B97F4A7C15ULL;
static const uint64_t HASH_MUL = 0xFF51AFD7ED558CCDULL;

/* The first min(length, 8) bytes of buf[a:a + length] in a word, zero above them. */
static inline uint64_t head_word(const uint8_t *buf, int64_t size, int64_t a, int64_t length)
{
    if (length >= 8)
        return load_word(buf, a);
    if (a + 8 <= size)
        return load_word(buf, a) & (((uint64_t)1 << (8 * length)) - 1);
    uint64_t word = 0;
    for (int64_t k = 0; k < length; k++)
        word |= (uint64_t)buf[a + k] << (8 * k);
    return word;
}

/* A 64-bit hash of buf[a:a + length] (inside the buffer), mixing eight bytes per multiply; head
 * is its head_word. The last partial word is read as a whole word ending at the value's end when
 * the value has eight bytes or more. */
static inline uint64_t hash_value(const uint8_t *buf, int64_t a, int64_t length, uint64_t head)
{
    uint64_t h = HASH_SEED ^ (uint64_t)length;
    h = (h ^ head) * HASH_MUL;
    h ^= h >> 29;
    if (length <= 8)
        return h;
    const int64_t end = a + length;
    int64_t j = a + 8;
    for (; j + 8 <= end; j += 8) {
        h = (h ^ load_word(buf, j)) * HASH_MUL;
        h ^= h >> 29;
    }
    if (j < end) {
        const uint64_t word = load_word(buf, end - 8) >> (8 * (8 - (end - j)));
        h = (h ^ word) * HASH_MUL;
        h ^= h >> 29;
    }
    return h;
}

/* An open-addressing hash table (linear probing, at most half full) over the distinct values.
 * Each value is a record in an arena, in order of first sight: its number and length (two
 * int64), then its bytes, zero-padded to a multiple of 8. A table slot holds the value's full
 * hash and its record's offset + 1 (0: an empty slot), so a lookup reads one slot and one
 * record, and both can be asked for ahead of time. */
struct table_slot {
    uint64_t hash;
    int64_t record; /* offset + 1 in the arena, 0 if empty */
};

struct dictionary {
    int64_t cap;              /* table slots, a power of two */
    int64_t count;            /* distinct values */
    struct table_slot *table; /* cap slots */
    uint8_t *arena;
    int64_t arena_size;
    int64_t arena_used;
};

static void dictionary_free(struct dictionary *dict)
{
    free(dict->table);
    free(dict->arena);
}

/* Double the table and re-insert the values. Returns 0, or -1 when out of memory. */
static int dictionary_grow(struct dictionary *dict)
{
    const int64_t cap = 2 * dict->cap;
    const uint64_t mask = (uint64_t)cap - 1;
    struct table_slot *table = calloc((size_t)cap, sizeof *table);
    if (!table)
        return -1;
    for (int64_t k = 0; k < dict->cap; k++) {
        if (!dict->table[k].record)
            continue;
        uint64_t slot = dict->table[k].hash & mask;
        while (table[slot].record)
            slot = (slot + 1) & mask;
        table[slot] = dict->table[k];
    }
    free(dict->table);
    dict->table = table;
    dict->cap = cap;
    return 0;
}

/* Whether buf[a:a + length] (head: its head_word) equals the record's bytes y of that length:
 * words, the last one ending at the value's end (so it may overlap); short values are their
 * head (the record's padding is zero). */
static inline int same_bytes_as(const uint8_t *buf, int64_t a, int64_t length, uint64_t head,
                                const uint8_t *y)
{
    if (length < 8)
        return length == 0 || load_word(y, 0) == head;
    int64_t k = 0;
    for (; k + 8 <= length; k += 8)
        if (load_word(buf, a + k) != load_word(y, k))
            return 0;
    if (k < length)
        return load_word(buf, a + length - 8) == load_word(y, length - 8);
    return 1;
}

/* Dictionary-encode buf[starts[r]:ends[r]] (buf holds size bytes, starts and ends n_spans
 * entries) for the n rows r in rows: codes[i] is the number of row i's value in order of first
 * sight, firsts[code] the row where that value first occurs. Returns the number of distinct
 * values; -1 when out of memory, -2 when a row or span is out of range. */
int64_t encode_spans(const uint8_t *buf, int64_t size, const int64_t *starts, const int64_t *ends,
                     int64_t n_spans, const int64_t *rows, int64_t n, int32_t *codes,
                     int64_t *firsts)
{
    struct dictionary dict = {1024, 0, NULL, NULL, 1024 * 32, 0};
    dict.table = calloc((size_t)dict.cap, sizeof *dict.table);
    dict.arena = malloc((size_t)dict.arena_size);
    if (!dict.table || !dict.arena) {
        dictionary_free(&dict);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        const int64_t r = rows[i];
        if (!span_ok(starts, ends, n_spans, size, r)) {
            dictionary_free(&dict);
            return -2;
        }
        const int64_t a = starts[r];
        const int64_t length = ends[r] - a;
#if defined(__GNUC__)
        /* The values lie one per log line, far apart in a large buffer: ask for the bytes of
         * the value PREFETCH_ROWS rows on (a hint only; the address is inside the buffer). */
        if (i + PREFETCH_ROWS < n) {
            const int64_t r2 = rows[i + PREFETCH_ROWS];
            if (r2 >= 0 && r2 < n_spans) {
                const int64_t a2 = starts[r2];
                if (a2 >= 0 && a2 < size)
                    __builtin_prefetch(buf + a2);
            }
        }
#endif
        const uint64_t head = head_word(buf, size, a, length);
        const uint64_t h = hash_value(buf, a, length, head);
        const uint64_t mask = (uint64_t)dict.cap - 1;
        uint64_t slot = h & mask;
        int64_t rec;
        int64_t u = -1;
        while ((rec = dict.table[slot].record) != 0) {
            if (dict.table[slot].hash == h) {
                const uint8_t *y = dict.arena + rec - 1;
                if (load_word(y, 8) == (uint64_t)length &&
                    same_bytes_as(buf, a, length, head, y + 16)) {
                    u = (int64_t)load_word(y, 0);
                    break;
                }
            }
            slot = (slot + 1) & mask;
        }
        if (u >= 0) {
            codes[i] = (int32_t)u;
            continue;
        }
        /* a new value: store its record, then grow the table once it is half full */
        const int64_t o = dict.arena_used;
        const int64_t padded = (length + 7) / 8 * 8;
        if (o + 16 + padded > dict.arena_size) {
            const int64_t grown = 2 * (o + 16 + padded);
            uint8_t *arena = realloc(dict.arena, (size_t)grown);
            if (!arena) {
                dictionary_free(&dict);
                return -1;
            }
            dict.arena = arena;
            dict.arena_size = grown;
        }
        const int64_t header[2] = {dict.count, length};
        memcpy(dict.arena + o, header, sizeof header);
        if (padded > length)
            memset(dict.arena + o + 16 + padded - 8, 0, 8);
        memcpy(dict.arena + o + 16, buf + a, (size_t)length);
        dict.arena_used = o + 16 + padded;
        dict.table[slot].hash = h;
        dict.table[slot].record = o + 1;
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
        for (int64_t r = 0; r < rounds; r++, k += 16) {
            const __m128i x = _mm_loadu_si128((const void *)(buf + k));
            lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(x, nl));
        }
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

/* ------------------------------------------------------------------ Parquet's bit packing */

/* Pack n values of `width` bits (1..32) back to back, least significant bit first (Parquet's
 * bit-packed runs), padding to a whole group of 8 values with zeros; `out` holds
 * ceil(n / 8) * width bytes. Returns the bytes written. */
int64_t bit_pack(const uint32_t *values, int64_t n, int64_t width, uint8_t *out)
{
    const int64_t padded = (n + 7) / 8 * 8;
    uint64_t acc = 0;
    int64_t bits = 0, o = 0;
    for (int64_t i = 0; i < padded; i++) {
        acc |= (uint64_t)(i < n ? values[i] : 0) << bits;
        bits += width;
        while (bits >= 8) {
            out[o++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    return o;
}

/* Dictionary-encode n 8-byte values (integers, or floats by their bits): codes[i] numbers
 * the distinct values in order of first occurrence, firsts[c] is where value c first occurs
 * (room for max_distinct entries). An open-addressing table (multiplicative hash, linear
 * probing, at most half full) grows as values come. Returns the number of distinct values; -1
 * when out of memory; -2 as soon as there are more than max_distinct. */
static int hash_insert(uint64_t *keys, int32_t *slots, int64_t shift, uint64_t key, int32_t code)
{
    uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> shift;
    const uint64_t mask = (1ull << (64 - shift)) - 1;
    while (slots[h] >= 0) {
        if (keys[h] == key)
            return slots[h];
        h = (h + 1) & mask;
    }
    keys[h] = key;
    slots[h] = code;
    return -1;
}

int64_t hash_codes(const uint64_t *values, int64_t n, int64_t max_distinct, uint32_t *codes,
                   int64_t *firsts)
{
    int64_t bits = 10, count = 0;
    uint64_t *keys = malloc(sizeof(uint64_t) << bits);
    int32_t *slots = malloc(sizeof(int32_t) << bits);
    if (!keys || !slots)
        goto oom;
    memset(slots, 0xFF, sizeof(int32_t) << bits);
    for (int64_t i = 0; i < n; i++) {
        const int32_t found = hash_insert(keys, slots, 64 - bits, values[i], (int32_t)count);
        if (found >= 0) {
            codes[i] = (uint32_t)found;
            continue;
        }
        if (count == max_distinct) {
            free(keys);
            free(slots);
            return -2;
        }
        codes[i] = (uint32_t)count;
        firsts[count++] = i;
        if (2 * count > (1ll << bits)) { /* half full: twice the room, the values again */
            bits++;
            free(keys);
            free(slots);
            keys = malloc(sizeof(uint64_t) << bits);
            slots = malloc(sizeof(int32_t) << bits);
            if (!keys || !slots)
                goto oom;
            memset(slots, 0xFF, sizeof(int32_t) << bits);
            for (int64_t c = 0; c < count; c++)
                hash_insert(keys, slots, 64 - bits, values[firsts[c]], (int32_t)c);
        }
    }
    free(keys);
    free(slots);
    return count;
oom:
    free(keys);
    free(slots);
    return -1;
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
