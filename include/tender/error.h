/* Error codes shared by every tenderd component.
 *
 * Fallible functions return 0 on success or one of the negative codes below.
 * Codes are only ever appended: a code's number never changes once released.
 */
#ifndef TENDER_ERROR_H
#define TENDER_ERROR_H

/* Results a caller must look at. */
#define TND_MUST_CHECK __attribute__((warn_unused_result))

/* X(name, value, message) */
#define TND_ERRNO_MAP(X)                                                                           \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(MALFORMED, -3, "malformed MessagePack")                                                      \
    X(TOODEEP, -4, "nesting too deep")                                                             \
    X(LIMIT, -5, "limit exceeded")                                                                 \
    X(TYPE, -6, "wrong type")                                                                      \
    X(TRAILING, -7, "trailing bytes after value")                                                  \
    X(EXTTYPE, -8, "MessagePack ext types are not allowed")                                        \
    X(DUPFIELD, -9, "field given twice")                                                           \
    X(RANGE, -10, "value out of range")                                                            \
    X(UTF8, -11, "string is not valid UTF-8")                                                      \
    X(IO, -12, "input/output error")                                                               \
    X(TLS, -13, "TLS error")                                                                       \
    X(PROTO, -14, "protocol violation")                                                            \
    X(CLOSED, -15, "connection closed")                                                            \
    X(TIMEDOUT, -16, "timed out")                                                                  \
    X(NOTFOUND, -17, "not found")                                                                  \
    X(EXISTS, -18, "already exists")                                                               \
    X(CRYPTO, -19, "cryptographic operation failed")                                               \
    X(AGAIN, -20, "resource temporarily unavailable")                                              \
    X(CANCELLED, -21, "cancelled")                                                                 \
    X(QUORUM, -22, "not enough witness cosignatures")

typedef enum tnd_errno {
#define TND_ERRNO_ENUM(name, value, msg) TND_E##name = (value),
    TND_ERRNO_MAP(TND_ERRNO_ENUM)
#undef TND_ERRNO_ENUM
} tnd_errno;

/** Human-readable text for an error code ("out of memory"). Never NULL. */
const char *tnd_strerror(int err);

/** Symbolic name of an error code ("TND_ENOMEM"). Never NULL. */
const char *tnd_err_name(int err);

#endif
