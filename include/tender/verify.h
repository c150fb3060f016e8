/* An auditor's verification of one tender from what the server publishes
 * (docs/AUDIT.md).
 *
 * Two steps, so that auditors' own programs can fetch once and check as
 * often as they like, or check a record they obtained some other way:
 *
 *   tnd_tender_record_fetch   public calls only: the latest checkpoint, the
 *                             tender's events with an inclusion proof each,
 *                             every published version, and after the
 *                             opening the sealed bids, the opening record
 *                             and the award decisions (the latest, and
 *                             every earlier one the log names); the
 *                             complaints made public;
 *   tnd_tender_record_verify  offline checks of that record against the
 *                             log's key, reported one by one.
 *
 * Nothing the server sends is trusted: every check recomputes its hashes,
 * proofs, decryptions and signatures itself.
 */
#ifndef TENDER_VERIFY_H
#define TENDER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/audit.h"
#include "tender/bid.h"
#include "tender/client.h"
#include "tender/witness.h"
#include "tender_schema.h"

/** One event of the tender, as served, with its inclusion proof. */
typedef struct tnd_record_event {
    uint64_t index;                      /* leaf index the server gave */
    tnd_bytes leaf;                      /* the leaf bytes as served */
    bool decoded;                        /* leaf decoded as an Event */
    tender_events_v1_Event ev;           /* valid when decoded */
    uint8_t (*proof)[TND_MERKLE_HASH_LEN]; /* inclusion proof for the checkpoint's size */
    size_t n_proof;
    bool unlisted;                       /* a bid event the tender's bid tag key links, which
                                            the server's tender filter left out */
} tnd_record_event;

/** A document of the tender as downloaded: the hash and size of the bytes
 * served, or why they could not be. */
typedef struct tnd_record_document {
    char id[65];
    bool fetched;                        /* downloaded in full */
    uint8_t sha256[32];                  /* of the bytes served */
    uint64_t size;
    char error[256];                     /* the server's answer when not fetched */
    tnd_bytes content;                   /* the bytes served when kept (fetch_all: a bundle) */
} tnd_record_document;

/** Everything public about one tender, as of one checkpoint. A record the
 * server should hold but does not serve (NOT_FOUND, DATA_LOSS) is noted in
 * the *_error fields for verify to report, not a failure of fetch. */
typedef struct tnd_tender_record {
    char tender_id[65];
    char *checkpoint_note;               /* the latest signed note, as served */
    tnd_checkpoint checkpoint;           /* parsed from it (unverified until verify) */
    uint64_t saved_size;                 /* size of the auditor's saved checkpoint; 0: none */
    uint8_t (*consistency)[TND_MERKLE_HASH_LEN]; /* proof from saved_size to the latest */
    size_t n_consistency;
    tnd_record_event *events;            /* in log order */
    size_t n_events;
    char events_error[512];              /* why the server could not send every event; "" */
    tender_tenders_v1_Tender current;    /* Tenders/Get as of now */
    tender_tenders_v1_Tender *versions;  /* versions[i] is published version i + 1 */
    size_t n_versions;
    bool has_bids;                       /* after the opening: every sealed bid */
    tender_bids_v1_SealedBid *bids;
    size_t n_bids;
    bool has_opening;
    tender_bids_v1_OpeningRecord opening;
    bool has_award;                      /* the latest award decision */
    tender_awards_v1_Award award;
    tender_awards_v1_Award *earlier_awards; /* every other logged decision (Awards/GetById),
                                               in the order of their award_recorded events */
    size_t n_earlier_awards;
    int64_t fetched_ms;                  /* the auditor's clock at fetch (ms since the epoch) */
    char versions_error[256];            /* the tender or a version is not served; "" */
    char opening_error[256];             /* the logged opening record is not served; "" */
    char award_error[256];               /* the logged award is not served; "" */
    tender_tenders_v1_ListQuestionsResponse questions; /* as served (answered ones) */
    char questions_error[256];           /* the questions are not served; "" */
    tnd_record_document *documents;      /* the latest version's documents, in its order */
    size_t n_documents;
    /* Set by the caller before verify (fetch leaves it NULL): the CA that
     * issued the suppliers' certificates, and the revocation lists known.
     * The decryption check then checks who bid as the opening did
     * (tnd_bid_check_certificate); NULL: who bid is what the bid says. */
    const tnd_bid_trust *trust;
    /* The witnesses whose cosignatures the checkpoint needs (tender/witness.h):
     * set by tnd_tender_record_fetch_witnessed, or by the caller before verify
     * for a record obtained otherwise; NULL: none needed. The `checkpoint`
     * check then fails without the quorum, naming the missing witnesses. */
    const tnd_policy *policy;
    /* Tenders with lots, once a lot is decided: Awards/List, each lot's
     * latest decision in the lots' order. */
    bool has_awards;
    tender_awards_v1_AwardList awards;
    char awards_error[256]; /* the lots' awards are not served; "" */
    /* The tender's complaints as served (Complaints/List): the public view of
     * those accepted at some point (docs/COMPLAINTS.md). */
    tender_complaints_v1_ComplaintList complaints;
    char complaints_error[256]; /* not served (or a server without complaints); "" */
} tnd_tender_record;

/** How long after its deadline an active tender may still be open before
 * verify calls it left open: the server closes at the deadline, this allows
 * for the auditor's clock and the closing write. */
#define TND_CLOSE_GRACE_MS 10000

/** Fetch the public record of tender_id with blocking calls on c (also each
 * document's content, hashed as it streams in). When
 * saved is not NULL (a checkpoint the auditor kept and verified), also the
 * consistency proof from it to the latest checkpoint. r need not be
 * initialised; free it with tnd_tender_record_free even on error.
 * @return 0 (TND_STATUS_OK) or a positive status code with st filled: the
 *         status of a call that failed (NOT_FOUND for an unknown tender),
 *         DATA_LOSS for an answer that cannot be used at all (a checkpoint
 *         that does not parse, a leaf of another tender), INTERNAL when out
 *         of memory. Answers that are merely wrong are kept for verify. */
TND_MUST_CHECK int tnd_tender_record_fetch(tnd_client *c, const char *tender_id,
                                           const tnd_checkpoint *saved, tnd_tender_record *r,
                                           tnd_status_info *st);

/** tnd_tender_record_fetch as of the latest checkpoint that carries the
 * cosignatures of policy (Log/GetWitnessedCheckpoint): events, proofs and
 * the consistency proof from saved are then for that checkpoint's size, and
 * r->policy is policy. With policy NULL or quorum none, as
 * tnd_tender_record_fetch. */
TND_MUST_CHECK int tnd_tender_record_fetch_witnessed(tnd_client *c, const char *tender_id,
                                                     const tnd_checkpoint *saved,
                                                     const tnd_policy *policy,
                                                     tnd_tender_record *r, tnd_status_info *st);

/** As tnd_tender_record_fetch_witnessed (policy NULL: the latest
 * checkpoint), and keep each document's bytes in documents[i].content (at
 * most TND_RECORD_MAX_DOCUMENT each), as an evidence bundle needs them
 * (tender/bundle.h). */
TND_MUST_CHECK int tnd_tender_record_fetch_all(tnd_client *c, const char *tender_id,
                                               const tnd_checkpoint *saved,
                                               const tnd_policy *policy, tnd_tender_record *r,
                                               tnd_status_info *st);

/** The largest document a record keeps (tenderd's limit for one document). */
#define TND_RECORD_MAX_DOCUMENT (16u * 1024u * 1024u)

void tnd_tender_record_free(tnd_tender_record *r);

typedef enum tnd_check_result {
    TND_CHECK_OK = 0,
    TND_CHECK_FAILED = 1,
    TND_CHECK_SKIPPED = 2, /* nothing to check yet (e.g. no opening before the opening) */
} tnd_check_result;

/** Called once per check, in order, with the check's name (see
 * tnd_tender_checks) and a line for a person: what was verified, or the
 * first thing that did not hold. */
typedef void (*tnd_check_report_fn)(void *ctx, const char *check, tnd_check_result result,
                                    const char *detail);

/** The names of the checks, in the order they run; NULL-terminated. */
extern const char *const tnd_tender_checks[];

/** Run every check on r: the checkpoint's signature by v and its origin;
 * consistency with saved (when given; it must be the checkpoint passed to
 * fetch); every event included in the checkpoint; the published versions
 * against their events; the documents and answered questions against
 * their events; bids against the deadline, and the closing at it; the
 * opening against the opening time and the committee's shares;
 * re-decryption of every logged
 * ciphertext against the opening record; the award against its criterion
 * and the opened bids; the suppliers' and the officer's signatures; the
 * complaints against their events, and the clock against the complaints.
 * @return the number of checks that failed (0: everything verified). */
int tnd_tender_record_verify(const tnd_tender_record *r, const tnd_note_verifier *v,
                             const tnd_checkpoint *saved, tnd_check_report_fn report, void *ctx);

#endif
