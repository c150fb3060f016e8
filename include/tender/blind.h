/* Blinded bid events: a BID_RECEIVED or BID_WITHDRAWN leaf names no tender,
 * only a tag that nobody can link to its tender before the tender's bid tag
 * key is published (in its TENDER_CLOSED event, or TENDER_CANCELLED), so that
 * nobody counts a tender's bids before its deadline (docs/LOG.md, "Blinded
 * bid events"):
 *
 *   secret = HMAC-SHA256(key, "tender/1 bid event" 0x00 kind(1 byte) bid_id)
 *   tag    = SHA-256("tender/1 bid tag" 0x00 tender_id 0x00 secret)
 *
 * key is the tender's 32-byte random bid tag key; kind the event kind
 * (10 or 11); bid_id the event's object_id. A supplier's receipt carries the
 * secret of its own leaf, which proves the tag without the key. */
#ifndef TENDER_BLIND_H
#define TENDER_BLIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender_schema.h"

/** The per-leaf secret of a bid event. */
TND_MUST_CHECK int tnd_blind_secret(const uint8_t key[32], int kind, const char *bid_id,
                                    uint8_t out[32]);

/** The tag of a tender's bid event from its secret. */
TND_MUST_CHECK int tnd_blind_tag(const char *tender_id, const uint8_t secret[32],
                                 uint8_t out[32]);

/** Whether an event is a blinded bid event (BID_RECEIVED or BID_WITHDRAWN). */
bool tnd_blind_kind(int kind);

/** Whether a blinded bid event belongs to the tender of this key: its tag
 * is the one the key gives for its kind and object_id. */
bool tnd_blind_links(const tender_events_v1_Event *ev, const char *tender_id,
                     const uint8_t key[32]);

/** Whether a blinded bid event is about tender_id by the secret of its tag
 * (a supplier's receipt carries it): tag = tnd_blind_tag(tender_id, secret). */
bool tnd_blind_proves(const tender_events_v1_Event *ev, const char *tender_id,
                      const uint8_t *secret, size_t secret_len);

#endif
