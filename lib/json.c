/* json: strict, bounded JSON reading on top of jsmn, plus an escaping writer.
 * jsmn alone accepts things like {"a" 1}, [1,,2] and trailing text, so every
 * input is first checked against the RFC 8259 grammar (and counted) here. */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#define JSON_MAX_DEPTH 64
#define JSON_KEY_MAX 256

/* ---- UTF-8 ---- */

/* Length (2..4) of the valid multi-byte UTF-8 sequence at s, or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hex_val(s[i]);
		if (h < 0)
			return -1;
		v = (v << 4) | (uint32_t)h;
	}
	*out = v;
	return 0;
}

/* ---- grammar check ---- */

struct jcheck {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	long tokens;
	long max_tokens;
};

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void jc_ws(struct jcheck *c)
{
	while (c->pos < c->len && is_ws(c->s[c->pos]))
		c->pos++;
}

static int jc_peek(const struct jcheck *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static int jc_token(struct jcheck *c)
{
	return ++c->tokens > c->max_tokens ? -1 : 0;
}

static int jc_escape(struct jcheck *c)
{
	uint32_t cp;

	c->pos++; /* the backslash */
	switch (jc_peek(c)) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		c->pos++;
		return 0;
	case 'u':
		if (hex4(c->s + c->pos + 1, c->len - c->pos - 1, &cp))
			return -1;
		c->pos += 5;
		return 0;
	default:
		return -1;
	}
}

static int jc_string(struct jcheck *c)
{
	if (jc_token(c))
		return -1;
	c->pos++; /* opening quote */
	while (c->pos < c->len) {
		unsigned char ch = (unsigned char)c->s[c->pos];
		if (ch == '"') {
			c->pos++;
			return 0;
		}
		if (ch == '\\') {
			if (jc_escape(c))
				return -1;
		} else if (ch < 0x20) {
			return -1;
		} else if (ch < 0x80) {
			c->pos++;
		} else {
			size_t n = utf8_seq_len((const unsigned char *)c->s + c->pos,
						c->len - c->pos);
			if (!n)
				return -1;
			c->pos += n;
		}
	}
	return -1; /* unterminated */
}

static int jc_digits(struct jcheck *c)
{
	size_t start = c->pos;

	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
		c->pos++;
	return c->pos > start ? 0 : -1;
}

static int jc_number(struct jcheck *c)
{
	if (jc_token(c))
		return -1;
	if (jc_peek(c) == '-')
		c->pos++;
	if (jc_peek(c) == '0')
		c->pos++;
	else if (jc_digits(c))
		return -1;
	if (jc_peek(c) == '.') {
		c->pos++;
		if (jc_digits(c))
			return -1;
	}
	if (jc_peek(c) == 'e' || jc_peek(c) == 'E') {
		c->pos++;
		if (jc_peek(c) == '+' || jc_peek(c) == '-')
			c->pos++;
		if (jc_digits(c))
			return -1;
	}
	return 0;
}

static int jc_literal(struct jcheck *c, const char *word)
{
	size_t n = strlen(word);

	if (jc_token(c) || c->len - c->pos < n || memcmp(c->s + c->pos, word, n) != 0)
		return -1;
	c->pos += n;
	return 0;
}

static int jc_value(struct jcheck *c);

/* Parses the members of an object or the elements of an array after the opener. */
static int jc_container(struct jcheck *c, int is_object)
{
	int close = is_object ? '}' : ']';

	if (jc_token(c) || ++c->depth > JSON_MAX_DEPTH)
		return -1;
	c->pos++;
	jc_ws(c);
	if (jc_peek(c) == close) {
		c->pos++;
		c->depth--;
		return 0;
	}
	for (;;) {
		if (is_object) {
			jc_ws(c);
			if (jc_peek(c) != '"' || jc_string(c))
				return -1;
			jc_ws(c);
			if (jc_peek(c) != ':')
				return -1;
			c->pos++;
		}
		if (jc_value(c))
			return -1;
		jc_ws(c);
		if (jc_peek(c) == close) {
			c->pos++;
			c->depth--;
			return 0;
		}
		if (jc_peek(c) != ',')
			return -1;
		c->pos++;
	}
}

static int jc_value(struct jcheck *c)
{
	jc_ws(c);
	switch (jc_peek(c)) {
	case '{': return jc_container(c, 1);
	case '[': return jc_container(c, 0);
	case '"': return jc_string(c);
	case 't': return jc_literal(c, "true");
	case 'f': return jc_literal(c, "false");
	case 'n': return jc_literal(c, "null");
	default:
		if (jc_peek(c) == '-' || (jc_peek(c) >= '0' && jc_peek(c) <= '9'))
			return jc_number(c);
		return -1;
	}
}

/* Token count of text if it is exactly one valid JSON value (plus whitespace), else -1. */
static long json_check(const char *text, size_t len, long max_tokens)
{
	struct jcheck c = { .s = text, .len = len, .max_tokens = max_tokens };

	if (!text || jc_value(&c))
		return -1;
	jc_ws(&c);
	return c.pos == len ? c.tokens : -1;
}

/* ---- reader ---- */

/* A scalar root is one token; jsmn's strict mode cannot end the text on a primitive.
 * Returns 0 (nothing done) when the root is an object or array. */
static int scalar_root(jsmntok_t *t, const char *text, size_t len)
{
	size_t a = 0, b = len;

	while (a < b && is_ws(text[a]))
		a++;
	while (b > a && is_ws(text[b - 1]))
		b--;
	if (text[a] == '{' || text[a] == '[')
		return 0;
	t->type = text[a] == '"' ? JSMN_STRING : JSMN_PRIMITIVE;
	t->start = (int)(t->type == JSMN_STRING ? a + 1 : a);
	t->end = (int)(t->type == JSMN_STRING ? b - 1 : b);
	t->size = 0;
	t->parent = -1;
	return 1;
}

static int has_duplicate_key(const struct json_doc *doc);

int json_parse(struct json_doc *doc, const char *text, size_t len, int max_tokens)
{
	memset(doc, 0, sizeof(*doc));
	if (max_tokens <= 0 || len >= INT_MAX)
		return -1;
	long count = json_check(text, len, max_tokens);
	if (count <= 0)
		return -1;
	jsmntok_t *t = calloc((size_t)count, sizeof(*t));
	if (!t)
		return -1;
	if (!(count == 1 && scalar_root(t, text, len))) {
		jsmn_parser p;
		jsmn_init(&p);
		if (jsmn_parse(&p, text, len, t, (unsigned)count) != count) {
			free(t);
			return -1;
		}
	}
	doc->text = text;
	doc->len = len;
	doc->tokens = t;
	doc->count = (int)count;
	if (has_duplicate_key(doc)) {
		json_free(doc);
		return -1;
	}
	return 0;
}

void json_free(struct json_doc *doc)
{
	free(doc->tokens);
	memset(doc, 0, sizeof(*doc));
}

static const jsmntok_t *tok_at(const struct json_doc *doc, int i)
{
	if (!doc || !doc->tokens || i < 0 || i >= doc->count)
		return NULL;
	return (const jsmntok_t *)doc->tokens + i;
}

enum json_type json_type_of(const struct json_doc *doc, int tok)
{
	const jsmntok_t *t = tok_at(doc, tok);

	if (!t)
		return JSON_NONE;
	switch (t->type) {
	case JSMN_OBJECT: return JSON_OBJECT;
	case JSMN_ARRAY: return JSON_ARRAY;
	case JSMN_STRING: return JSON_STRING;
	case JSMN_PRIMITIVE: return JSON_PRIMITIVE;
	default: return JSON_NONE;
	}
}

/* Index of the token after tok and all its descendants. */
static int tok_skip(const struct json_doc *doc, int tok)
{
	const jsmntok_t *t = doc->tokens;
	int j = tok + 1;

	if (t[tok].type == JSMN_OBJECT || t[tok].type == JSMN_ARRAY)
		while (j < doc->count && t[j].start < t[tok].end)
			j++;
	return j;
}

/* Decodes the JSON string body s[0..n) into out (NUL-terminated); -1 if invalid or too big. */
static int unescape(const char *s, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char tmp[4];
		size_t k = 1;
		uint32_t cp;

		if (s[i] != '\\') {
			tmp[0] = s[i++];
		} else if (i + 1 < n && s[i + 1] != 'u') {
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *p = strchr(from, s[i + 1]);
			if (!p || !*p)
				return -1;
			tmp[0] = to[p - from];
			i += 2;
		} else {
			if (i + 6 > n || hex4(s + i + 2, 4, &cp))
				return -1;
			i += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1; /* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				uint32_t lo;
				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
				    hex4(s + i + 2, 4, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -1; /* lone high surrogate */
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			if (cp == 0)
				return -1; /* would truncate a C string */
			k = utf8_encode(cp, tmp);
		}
		if (outsz - o <= k)
			return -1;
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	return 0;
}

static int key_equals(const struct json_doc *doc, const jsmntok_t *k, const char *key,
		      size_t keylen)
{
	const char *raw = doc->text + k->start;
	size_t rawlen = (size_t)(k->end - k->start);
	char tmp[JSON_KEY_MAX];

	if (!memchr(raw, '\\', rawlen))
		return rawlen == keylen && memcmp(raw, key, keylen) == 0;
	if (unescape(raw, rawlen, tmp, sizeof(tmp)))
		return 0;
	return strlen(tmp) == keylen && memcmp(tmp, key, keylen) == 0;
}

/* Two readers of one document must never disagree on what a key holds, so a key
 * that occurs twice in one object (after unescaping) makes the document invalid.
 * An escaped key too long to decode counts as a duplicate: it cannot be compared. */
static int has_duplicate_key(const struct json_doc *doc)
{
	const jsmntok_t *t = doc->tokens;
	char key[JSON_KEY_MAX];

	for (int obj = 0; obj < doc->count; obj++) {
		if (t[obj].type != JSMN_OBJECT || t[obj].size < 2)
			continue;
		for (int a = obj + 1, i = 0; i < t[obj].size; i++, a = tok_skip(doc, a + 1)) {
			const char *raw = doc->text + t[a].start;
			size_t n = (size_t)(t[a].end - t[a].start);
			if (memchr(raw, '\\', n)) {
				if (unescape(raw, n, key, sizeof(key)))
					return 1;
				raw = key;
				n = strlen(key);
			}
			for (int b = tok_skip(doc, a + 1), j = i + 1; j < t[obj].size;
			     j++, b = tok_skip(doc, b + 1))
				if (key_equals(doc, &t[b], raw, n))
					return 1;
		}
	}
	return 0;
}

/* Value token of the member named key[0..keylen) of object obj, or -1. */
static int find_member(const struct json_doc *doc, int obj, const char *key, size_t keylen)
{
	const jsmntok_t *o = tok_at(doc, obj);
	const jsmntok_t *t = doc ? doc->tokens : NULL;

	if (!o || o->type != JSMN_OBJECT)
		return -1;
	int k = obj + 1;
	for (int i = 0; i < o->size && k + 1 < doc->count; i++) {
		if (key_equals(doc, &t[k], key, keylen))
			return k + 1;
		k = tok_skip(doc, k + 1);
	}
	return -1;
}

int json_find(const struct json_doc *doc, int obj, const char *key)
{
	int cur = obj;

	if (!key)
		return -1;
	for (;;) {
		const char *dot = strchr(key, '.');
		size_t n = dot ? (size_t)(dot - key) : strlen(key);
		cur = find_member(doc, cur, key, n);
		if (cur < 0 || !dot)
			return cur;
		key = dot + 1;
	}
}

int json_array_len(const struct json_doc *doc, int arr)
{
	const jsmntok_t *a = tok_at(doc, arr);

	return a && a->type == JSMN_ARRAY ? a->size : -1;
}

int json_array_at(const struct json_doc *doc, int arr, int i)
{
	const jsmntok_t *a = tok_at(doc, arr);

	if (!a || a->type != JSMN_ARRAY || i < 0 || i >= a->size)
		return -1;
	int k = arr + 1;
	for (int n = 0; n < i; n++)
		k = tok_skip(doc, k);
	return k < doc->count ? k : -1;
}

int json_tok_string(const struct json_doc *doc, int tok, char *out, size_t outsz)
{
	const jsmntok_t *t = tok_at(doc, tok);

	if (!t || t->type != JSMN_STRING || !out || outsz == 0)
		return -1;
	return unescape(doc->text + t->start, (size_t)(t->end - t->start), out, outsz);
}

int json_tok_int64(const struct json_doc *doc, int tok, int64_t *out)
{
	const jsmntok_t *t = tok_at(doc, tok);

	if (!t || t->type != JSMN_PRIMITIVE)
		return -1;
	const char *s = doc->text + t->start;
	size_t n = (size_t)(t->end - t->start), i = 0;
	int neg = n > 0 && s[0] == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;

	i = (size_t)neg;
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1; /* fraction, exponent, true/false/null */
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

static int tok_is_word(const struct json_doc *doc, const jsmntok_t *t, const char *word)
{
	size_t n = strlen(word);

	return t && t->type == JSMN_PRIMITIVE && (size_t)(t->end - t->start) == n &&
	       memcmp(doc->text + t->start, word, n) == 0;
}

int json_tok_bool(const struct json_doc *doc, int tok, int *out)
{
	const jsmntok_t *t = tok_at(doc, tok);

	if (tok_is_word(doc, t, "true"))
		*out = 1;
	else if (tok_is_word(doc, t, "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

int json_tok_is_null(const struct json_doc *doc, int tok)
{
	return tok_is_word(doc, tok_at(doc, tok), "null");
}

/* Strings include their quotes, so the result is always valid JSON for jw_raw. */
const char *json_tok_raw(const struct json_doc *doc, int tok, size_t *len)
{
	const jsmntok_t *t = tok_at(doc, tok);

	if (!t) {
		if (len)
			*len = 0;
		return NULL;
	}
	int quoted = t->type == JSMN_STRING;
	if (len)
		*len = (size_t)(t->end - t->start) + (quoted ? 2 : 0);
	return doc->text + t->start - quoted;
}

int json_get_string(const struct json_doc *doc, int obj, const char *key, char *out, size_t outsz)
{
	return json_tok_string(doc, json_find(doc, obj, key), out, outsz);
}

int json_get_int64(const struct json_doc *doc, int obj, const char *key, int64_t *out)
{
	return json_tok_int64(doc, json_find(doc, obj, key), out);
}

int json_get_bool(const struct json_doc *doc, int obj, const char *key, int *out)
{
	return json_tok_bool(doc, json_find(doc, obj, key), out);
}

/* ---- writer ---- */

/* first[d] holds flags: JW_EMPTY while nothing is written at depth d, JW_OBJECT for objects. */
#define JW_EMPTY 1
#define JW_OBJECT 2

static void jw_put(struct json_writer *w, const char *s, size_t n)
{
	if (!w->failed && buf_append(w->out, s, n))
		w->failed = 1;
}

void jw_init(struct json_writer *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = JW_EMPTY;
}

/* Writes the separator before a value; fails the writer if no value may go here. */
static int jw_value_prefix(struct json_writer *w)
{
	int *f = &w->first[w->depth];

	if (w->failed)
		return -1;
	if (w->depth == 0 && !(*f & JW_EMPTY))
		w->failed = 1; /* a second root value */
	else if ((*f & JW_OBJECT) && !w->after_key)
		w->failed = 1; /* object member without a key */
	else if (!(*f & JW_OBJECT) && !(*f & JW_EMPTY))
		jw_put(w, ",", 1);
	*f &= ~JW_EMPTY;
	w->after_key = 0;
	return w->failed ? -1 : 0;
}

static void jw_escaped(struct json_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), run = 0;

	jw_put(w, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k = c < 0x80 ? 1 : utf8_seq_len(p + i, n - i);
		if (c >= 0x20 && c != '"' && c != '\\' && k) {
			i += k;
			run += k;
			continue;
		}
		jw_put(w, s + i - run, run);
		run = 0;
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			snprintf(esc, sizeof(esc), "\\ufffd"); /* invalid UTF-8 byte */
		jw_put(w, esc, strlen(esc));
		i++;
	}
	jw_put(w, s + n - run, run);
	jw_put(w, "\"", 1);
}

static void jw_open(struct json_writer *w, int is_object)
{
	if (jw_value_prefix(w))
		return;
	if (w->depth + 1 >= JSON_WRITER_MAX_DEPTH) {
		w->failed = 1;
		return;
	}
	jw_put(w, is_object ? "{" : "[", 1);
	w->first[++w->depth] = JW_EMPTY | (is_object ? JW_OBJECT : 0);
}

static void jw_close(struct json_writer *w, int is_object)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->after_key || !(w->first[w->depth] & JW_OBJECT) != !is_object) {
		w->failed = 1;
		return;
	}
	jw_put(w, is_object ? "}" : "]", 1);
	w->depth--;
}

void jw_object_begin(struct json_writer *w) { jw_open(w, 1); }
void jw_object_end(struct json_writer *w) { jw_close(w, 1); }
void jw_array_begin(struct json_writer *w) { jw_open(w, 0); }
void jw_array_end(struct json_writer *w) { jw_close(w, 0); }

void jw_key(struct json_writer *w, const char *key)
{
	int *f = &w->first[w->depth];

	if (w->failed)
		return;
	if (!key || !(*f & JW_OBJECT) || w->after_key) {
		w->failed = 1;
		return;
	}
	if (!(*f & JW_EMPTY))
		jw_put(w, ",", 1);
	*f &= ~JW_EMPTY;
	jw_escaped(w, key);
	jw_put(w, ":", 1);
	w->after_key = 1;
}

void jw_string(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	if (jw_value_prefix(w) == 0)
		jw_escaped(w, s);
}

void jw_int(struct json_writer *w, int64_t v)
{
	char tmp[32];

	if (jw_value_prefix(w) == 0) {
		int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
		jw_put(w, tmp, (size_t)n);
	}
}

void jw_bool(struct json_writer *w, int v)
{
	if (jw_value_prefix(w) == 0)
		jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct json_writer *w)
{
	if (jw_value_prefix(w) == 0)
		jw_put(w, "null", 4);
}

void jw_raw(struct json_writer *w, const char *json, size_t len)
{
	/* "Already valid" is checked, not trusted: nothing unescaped reaches the wire. */
	if (!w->failed && (!json || json_check(json, len, LONG_MAX) < 0)) {
		w->failed = 1;
		return;
	}
	if (jw_value_prefix(w) == 0)
		jw_put(w, json, len);
}

void jw_kv_string(struct json_writer *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_string(w, s);
}

void jw_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kv_bool(struct json_writer *w, const char *key, int v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

int jw_finish(struct json_writer *w)
{
	if (w->failed || w->depth != 0 || (w->first[0] & JW_EMPTY))
		return -1;
	return 0;
}
