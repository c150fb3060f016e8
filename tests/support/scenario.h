/* Test support: the steps every end-to-end test on the in-process server
 * (testsrv) takes. Connect as a PKI identity, call a method, make a
 * committee, create and publish a tender, seal and submit a bid, give a
 * member's share. Each step asserts that it worked (cmocka), so a test reads
 * as the behaviour it checks. Include after cmocka.h. */
#ifndef TND_TEST_SCENARIO_H
#define TND_TEST_SCENARIO_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "rawconn.h"
#include "tender/sealed.h"
#include "tender/verify.h"
#include "testsrv.h"

#define SCN_B(name) "tender.bids.v1.Bids/" #name
#define SCN_T(name) "tender.tenders.v1.Tenders/" #name

/* The status message of the last call any connection made. */
extern char scn_msg[512];

/* A connection and its next client stream id. */
typedef struct scn_conn {
    rawconn rc;
    uint32_t sid;
} scn_conn;

/** Connect to ts as PKI identity who ("officer", "supplier", ...; NULL:
 * anonymous, no client certificate) and exchange settings. */
void scn_connect(const testsrv *ts, scn_conn *c, const char *who);

/** One unary call (rd NULL: any answer is dropped); its status code, the
 * message in scn_msg. */
int scn_call(scn_conn *c, const char *method, const tnd_msg_desc *qd, const void *q,
             const tnd_msg_desc *rd, void *r);

/** Tenders/Get of tender id (latest) as c into t (initialised here; free
 * it); fails the test when the call does. */
void scn_get_tender(scn_conn *c, const char *id, tender_tenders_v1_Tender *t);

/** The status of tender id as c sees it (scn_get_tender). */
int scn_status_of(scn_conn *c, const char *id);

/** The private key of PKI identity who. */
EVP_PKEY *scn_load_key(const testsrv *ts, const char *who);

/* ---- committees ---- */

#define SCN_MAX_MEMBERS 3
#define SCN_SHARE_MAX TND_SHAMIR_SHARE_LEN(64)

/* A committee as the officer's tenderctl makes it (tnd_committee_make): the
 * opening key (and, with documents, the documents key) split k of n, each
 * share sealed to its member. The members' private keys and their opened
 * shares are kept so a test can act as every member. */
typedef struct scn_committee {
    int k, n;                           /* 0, 0: 2 of 3 */
    const char *names[SCN_MAX_MEMBERS]; /* NULL: officer, admin, auditor */
    bool documents;                     /* also a documents key */
    uint8_t opening_pk[32], documents_pk[32];
    uint8_t member_sk[SCN_MAX_MEMBERS][32], member_pk[SCN_MAX_MEMBERS][32];
    size_t share_len;
    uint8_t shares[SCN_MAX_MEMBERS][SCN_SHARE_MAX];
} scn_committee;

/** Make the member keys of cm (k, n, names and documents chosen by the
 * caller), the Committee message a tender carries (initialised here) with
 * tnd_committee_make, and open each member's share into cm->shares. */
void scn_committee_make(scn_committee *cm, tender_tenders_v1_Committee *out);

/* ---- tenders ---- */

typedef struct scn_tender {
    char id[64];
    int64_t deadline_ms, opening_ms; /* the server's clock (testsrv_now) */
    scn_committee cm;
} scn_tender;

/** Start a CreateTenderRequest (initialised here): title, a deadline and an
 * opening time deadline_in_ms and opening_in_ms from ts's now (testsrv_now,
 * kept in t), and t's committee, made. Add fields, then scn_tender_create. */
void scn_tender_request(const testsrv *ts, scn_tender *t, const char *title, int64_t deadline_in_ms,
                        int64_t opening_in_ms, tender_tenders_v1_CreateTenderRequest *q);

/** Create tender q as off (its id into id, 64 bytes) and free q. */
void scn_tender_create(scn_conn *off, tender_tenders_v1_CreateTenderRequest *q, char *id);

/** Publish tender id as off. */
void scn_tender_publish(scn_conn *off, const char *id);

/** scn_tender_request, scn_tender_create and scn_tender_publish at once. */
void scn_create_and_publish(const testsrv *ts, scn_conn *off, scn_tender *t, const char *title,
                            int64_t deadline_in_ms, int64_t opening_in_ms);

/* ---- bids and opening ---- */

/** A fresh random bid id ("B-" and 32 hex digits). */
void scn_bid_id(char out[40]);

/** Seal content c as who's bid to t: scn_seal_documents, then
 * scn_seal_envelope. c's certificates are the caller's to add. */
void scn_seal(const testsrv *ts, const scn_tender *t, const char *who, tender_bids_v1_BidContent *c,
              const uint8_t *nonce_in, tender_bids_v1_SealedBid *b, uint8_t nonce[32], char id[40]);

/** The first half of sealing: a fresh bid id into id, the owner nonce
 * (nonce_in, or a random one when NULL) into nonce, and c's documents (if
 * any, and t has a documents key) sealed apart into c->sealed_documents. */
void scn_seal_documents(const testsrv *ts, const scn_tender *t, const char *who,
                        tender_bids_v1_BidContent *c, const uint8_t *nonce_in, uint8_t nonce[32],
                        char id[40]);

/** The second half: c sealed to t's opening key and signed by who into b
 * (initialised here). */
void scn_seal_envelope(const testsrv *ts, const scn_tender *t, const char *who,
                       tender_bids_v1_BidContent *c, const uint8_t nonce[32], const char *id,
                       tender_bids_v1_SealedBid *b);

/** Flip a ciphertext byte of b and sign it again as who: the envelope is well
 * signed but does not decrypt. */
void scn_tamper(const testsrv *ts, const char *who, tender_bids_v1_SealedBid *b);

/** Bids/Submit in three messages (the envelope, then the ciphertext in two
 * chunks); with an idempotency-key when key is not NULL, the receipt into
 * rcpt when not NULL. The status code, the message in scn_msg. */
int scn_submit(scn_conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
               const char *replaces, const char *key, tender_bids_v1_Receipt *rcpt);

/** Bids/SubmitShare of member's share of t, sent by c. The status code. */
int scn_share(scn_conn *c, const scn_tender *t, int member, tender_bids_v1_ShareAccepted *acc);

/** Let ts's time reach ms: on a manual clock (testsrv_manual_clock)
 * testsrv_advance_to, which returns once the work due by then (closing,
 * opening, standstill ends) has committed; else sleep until the real time
 * passes ms. */
void scn_wait_until(testsrv *ts, int64_t ms);

/** Open t: wait until its opening time (scn_wait_until, 50 ms past it),
 * then member 0's share sent by first and member 2's by second; fails the
 * test unless both are taken and the second opens the bids. */
void scn_open(testsrv *ts, scn_conn *first, scn_conn *second, const scn_tender *t);

/** libtender's audit of tender_id as `tenderctl audit verify` runs it against
 * ts: the log key the server gives (GetVerifierKey, through anon), the record
 * fetched by a libtender client, ts's CA as the bids' trust when with_ca;
 * report gets each check. Returns tnd_tender_record_verify's count. */
int scn_audit(const testsrv *ts, scn_conn *anon, const char *tender_id, bool with_ca,
              tnd_check_report_fn report, void *ctx);

#endif
