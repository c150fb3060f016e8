/* Test support for complaints: a connection per role, a tender opened
 * with two bidders (supplier and supplier2) on the test server, its award,
 * and the Complaints calls (file, review signed with a PKI identity's key,
 * withdraw, get, list), each returning the status code (message in
 * scn_msg). Include after cmocka.h. */
#ifndef TND_TEST_COMPLAINTFIX_H
#define TND_TEST_COMPLAINTFIX_H

#include "scenario.h"

#define CFX(name) "tender.complaints.v1.Complaints/" #name

/* A connection for each identity the complaint rules name. */
typedef struct cfx_world {
    scn_conn off, off2, sup, sup2, aud, adm, rev, anon;
    scn_tender t;
    char ids[2][40]; /* the bids of supplier and supplier2, as cfx_opened took them */
    int bids;        /* how many: 1, supplier's alone */
} cfx_world;

void cfx_connect(const testsrv *ts, cfx_world *w);
void cfx_close(cfx_world *w);

/** Publish a tender (deadline and opening deadline_in and opening_in ms
 * from now), take the bids of supplier (100000 KRW) and, with bids 2,
 * supplier2 (150000 KRW), wait for the opening time and open it. */
void cfx_opened(testsrv *ts, cfx_world *w, int64_t deadline_in, int64_t opening_in, int bids);

/** The officer awards the opened tender to supplier's bid (the lowest
 * price); the award into a (initialised here) when not NULL. */
void cfx_award(const testsrv *ts, cfx_world *w, tender_awards_v1_Award *a);

/** Complaints/File as c: subject, award_id and lot_id (NULL: none), a
 * title and text; with one document ("grounds.txt", doc) when doc is not
 * NULL. The complaint into out (initialised here) when not NULL. */
int cfx_file(scn_conn *c, const char *tender_id, int subject, const char *award_id,
             const char *lot_id, const char *doc, tender_complaints_v1_Complaint *out);

/** Complaints/Review as c, the decision signed with signer's key. */
int cfx_review(const testsrv *ts, scn_conn *c, const char *signer, const char *complaint_id,
               const char *tender_id, int outcome, bool suspend,
               tender_complaints_v1_Complaint *out);

int cfx_withdraw(scn_conn *c, const char *id, tender_complaints_v1_Complaint *out);
int cfx_get(scn_conn *c, const char *id, tender_complaints_v1_Complaint *out);
int cfx_list(scn_conn *c, const char *tender_id, tender_complaints_v1_ComplaintList *out);

/** The last event of kind about object_id of tender_id in ts's store, into
 * ev (initialised here; free it). False when there is none. */
bool cfx_event(const testsrv *ts, const char *tender_id, int kind, const char *object_id,
               tender_events_v1_Event *ev);

/** The Ed25519 key of PKI identity who. */
void cfx_cert_key(const testsrv *ts, const char *who, uint8_t pub[32]);

/** Fail unless got is code and scn_msg holds needle. */
void cfx_expect(int got, int code, const char *needle);

#endif
