/* gRPC's status codes, with the same numbers and meanings. */
#ifndef TENDER_STATUS_H
#define TENDER_STATUS_H

#define TND_STATUS_MAP(X)                                                                          \
    X(OK, 0)                                                                                       \
    X(CANCELLED, 1)                                                                                \
    X(UNKNOWN, 2)                                                                                  \
    X(INVALID_ARGUMENT, 3)                                                                         \
    X(DEADLINE_EXCEEDED, 4)                                                                        \
    X(NOT_FOUND, 5)                                                                                \
    X(ALREADY_EXISTS, 6)                                                                           \
    X(PERMISSION_DENIED, 7)                                                                        \
    X(RESOURCE_EXHAUSTED, 8)                                                                       \
    X(FAILED_PRECONDITION, 9)                                                                      \
    X(ABORTED, 10)                                                                                 \
    X(OUT_OF_RANGE, 11)                                                                            \
    X(UNIMPLEMENTED, 12)                                                                           \
    X(INTERNAL, 13)                                                                                \
    X(UNAVAILABLE, 14)                                                                             \
    X(DATA_LOSS, 15)                                                                               \
    X(UNAUTHENTICATED, 16)

typedef enum tnd_status {
#define TND_STATUS_ENUM(name, value) TND_STATUS_##name = (value),
    TND_STATUS_MAP(TND_STATUS_ENUM)
#undef TND_STATUS_ENUM
} tnd_status;

/** "DEADLINE_EXCEEDED" for 4; "UNKNOWN_STATUS" for a number outside 0..16. */
const char *tnd_status_name(int code);

/** Parse a status name ("NOT_FOUND"); returns the code or -1. */
int tnd_status_from_name(const char *name);

#endif
