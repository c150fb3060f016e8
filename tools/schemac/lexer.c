/* Tokenizer: identifiers, decimal integers, punctuation; skips whitespace and comments. */
#include <stdio.h>
#include <string.h>

#include "lexer.h"

static bool is_ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(int c)
{
    return is_ident_start(c) || is_digit(c);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0xFFu >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int sc_lex_check_text(const sc_file *file, sc_diags *d)
{
    const unsigned char *s = (const unsigned char *)file->text;
    int line = 1, col = 1;
    for (size_t i = 0; i < file->len;) {
        if (s[i] == '\0') {
            sc_error(d, (sc_loc){file, line, col}, "NUL byte in source");
            return -1;
        }
        size_t len = utf8_len(s + i, file->len - i);
        if (!len) {
            /* The text is served as a string by reflection: it must be UTF-8. */
            sc_error(d, (sc_loc){file, line, col}, "invalid UTF-8 in source (byte 0x%02X)", s[i]);
            return -1;
        }
        if (s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col += (int)len;
        }
        i += len;
    }
    return 0;
}

void sc_lex_init(sc_lexer *lx, const sc_file *file, sc_diags *d)
{
    lx->file = file;
    lx->diags = d;
    lx->pos = 0;
    lx->line = 1;
    lx->col = 1;
}

static int peek(const sc_lexer *lx, size_t ahead)
{
    size_t p = lx->pos + ahead;
    return p < lx->file->len ? (unsigned char)lx->file->text[p] : -1;
}

static void advance(sc_lexer *lx)
{
    if (lx->file->text[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static sc_loc here(const sc_lexer *lx)
{
    return (sc_loc){lx->file, lx->line, lx->col};
}

/* Skip whitespace and comments. Returns -1 on an unterminated block comment. */
static int skip_space(sc_lexer *lx)
{
    for (;;) {
        int c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            advance(lx);
        } else if (c == '/' && peek(lx, 1) == '/') {
            while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
                advance(lx);
        } else if (c == '/' && peek(lx, 1) == '*') {
            sc_loc start = here(lx);
            advance(lx);
            advance(lx);
            while (!(peek(lx, 0) == '*' && peek(lx, 1) == '/')) {
                if (peek(lx, 0) == -1) {
                    sc_error(lx->diags, start, "unterminated block comment");
                    return -1;
                }
                advance(lx);
            }
            advance(lx);
            advance(lx);
        } else {
            return 0;
        }
    }
}

static int lex_int(sc_lexer *lx, sc_token *tok)
{
    bool neg = peek(lx, 0) == '-';
    if (neg)
        advance(lx);
    size_t digits = lx->pos;
    uint64_t v = 0;
    bool overflow = false;
    while (is_digit(peek(lx, 0))) {
        unsigned dgt = (unsigned)(peek(lx, 0) - '0');
        /* Cap at 2^63: enough for every limit the language has, and int64_t-safe. */
        if (v > (UINT64_C(1) << 63) / 10 || v * 10 + dgt > (UINT64_C(1) << 63))
            overflow = true;
        else
            v = v * 10 + dgt;
        advance(lx);
    }
    tok->len = lx->pos - (size_t)(tok->text - lx->file->text);
    if (is_ident_char(peek(lx, 0))) {
        sc_error(lx->diags, tok->loc, "invalid number '%.*s%c'", (int)tok->len, tok->text,
                 peek(lx, 0));
        return -1;
    }
    if (lx->pos - digits > 1 && lx->file->text[digits] == '0') {
        /* Protobuf reads a leading 0 as octal; refuse rather than guess. */
        sc_error(lx->diags, tok->loc, "integer '%.*s' has a leading zero", (int)tok->len,
                 tok->text);
        return -1;
    }
    if (overflow || (!neg && v > INT64_MAX)) {
        sc_error(lx->diags, tok->loc, "integer '%.*s' is too large", (int)tok->len, tok->text);
        return -1;
    }
    tok->kind = SC_TOK_INT;
    tok->value = neg ? (v == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 0;
}

/* "text" on one line: printable ASCII only, without '"' or '\\', so it is
 * copied into generated C and into messages as it stands. */
static int lex_string(sc_lexer *lx, sc_token *tok)
{
    advance(lx); /* the opening quote */
    for (;;) {
        int c = peek(lx, 0);
        if (c == '"')
            break;
        if (c == -1 || c == '\n') {
            sc_error(lx->diags, tok->loc, "unterminated string (it must end on its line)");
            return -1;
        }
        if (c == '\\') {
            sc_error(lx->diags, here(lx), "a string cannot hold '\\' (there are no escapes)");
            return -1;
        }
        if (c < 0x20 || c > 0x7E) {
            sc_error(lx->diags, here(lx),
                     "a string holds only printable ASCII characters (found byte 0x%02X)",
                     (unsigned)c);
            return -1;
        }
        advance(lx);
    }
    advance(lx); /* the closing quote */
    tok->kind = SC_TOK_STRING;
    tok->len = lx->pos - (size_t)(tok->text - lx->file->text);
    return 0;
}

int sc_lex_next(sc_lexer *lx, sc_token *tok)
{
    memset(tok, 0, sizeof(*tok));
    if (skip_space(lx) < 0)
        return -1;
    tok->loc = here(lx);
    tok->text = lx->file->text + lx->pos;
    int c = peek(lx, 0);
    if (c == -1) {
        tok->kind = SC_TOK_EOF;
        return 0;
    }
    if (is_ident_start(c)) {
        while (is_ident_char(peek(lx, 0)))
            advance(lx);
        tok->kind = SC_TOK_IDENT;
        tok->len = lx->pos - (size_t)(tok->text - lx->file->text);
        return 0;
    }
    if (is_digit(c) || (c == '-' && is_digit(peek(lx, 1))))
        return lex_int(lx, tok);
    if (c == '"')
        return lex_string(lx, tok);
    if (c != '\0' && strchr(";{}()[]<>,=.", c)) {
        advance(lx);
        tok->kind = SC_TOK_PUNCT;
        tok->punct = (char)c;
        tok->len = 1;
        return 0;
    }
    if (c >= 0x21 && c < 0x7F)
        sc_error(lx->diags, tok->loc, "unexpected character '%c'", c);
    else
        sc_error(lx->diags, tok->loc, "unexpected byte 0x%02X", (unsigned)c);
    return -1;
}

const char *sc_tok_describe(const sc_token *tok, char *buf, size_t size)
{
    if (tok->kind == SC_TOK_EOF)
        return "end of file";
    /* Long identifiers are cut: the location already says where. */
    int len = tok->len > 40 ? 40 : (int)tok->len;
    snprintf(buf, size, "'%.*s%s'", len, tok->text, tok->len > 40 ? "..." : "");
    return buf;
}
