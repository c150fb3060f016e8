/* The schema tokenizer, used only by the parser. */
#ifndef SCHEMAC_LEXER_H
#define SCHEMAC_LEXER_H

#include "schemac.h"

typedef enum sc_tok_kind {
    SC_TOK_EOF = 0,
    SC_TOK_IDENT,
    SC_TOK_INT,   /* decimal, optionally with a leading '-' */
    SC_TOK_PUNCT, /* one of ; { } ( ) [ ] < > , = . */
    SC_TOK_STRING, /* "text": printable ASCII, no '"' or '\\', no escapes; text/len include the quotes */
} sc_tok_kind;

typedef struct sc_token {
    sc_tok_kind kind;
    sc_loc loc;
    const char *text; /* points into the source; not NUL-terminated */
    size_t len;
    int64_t value; /* SC_TOK_INT */
    char punct;    /* SC_TOK_PUNCT */
} sc_token;

typedef struct sc_lexer {
    const sc_file *file;
    sc_diags *diags;
    size_t pos;
    int line, col;
} sc_lexer;

/** Reject text schemac cannot embed for reflection: NUL bytes, invalid UTF-8. */
int sc_lex_check_text(const sc_file *file, sc_diags *d);

void sc_lex_init(sc_lexer *lx, const sc_file *file, sc_diags *d);

/** Read the next token. Returns 0, or -1 after recording an error. */
int sc_lex_next(sc_lexer *lx, sc_token *tok);

/** "'name'", "';'" or "end of file", for "expected X, found Y" messages. */
const char *sc_tok_describe(const sc_token *tok, char *buf, size_t size);

#endif
