/* Handlers of the tender changes: check the request on the loop thread,
 * then hand it to the writer thread (tender_write.c) through tnd_op_run. */
#include <stdio.h>
#include <string.h>

#include "tenders.h"

#define TENDER_RESP (&tender_tenders_v1_Tender_desc)

static bool fields_ok(tnd_call *call, const tender_tenders_v1_TenderFields *f)
{
    char msg[400];
    if (tnd__tender_check_fields(f, msg, sizeof msg) != 0) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "%s", msg);
        return false;
    }
    return true;
}


static void on_create(tnd_call *call, void *request)
{
    const tender_tenders_v1_CreateTenderRequest *req = request;
    if (fields_ok(call, req->fields))
        tnd_op_run(call, req, TENDER_RESP, tnd_tender_create_fn, NULL, 0);
}

static void on_edit(tnd_call *call, void *request)
{
    const tender_tenders_v1_EditTenderRequest *req = request;
    if (fields_ok(call, req->fields))
        tnd_op_run(call, req, TENDER_RESP, tnd__tender_edit_fn, NULL, 0);
}

/* A published or amended tender may have the earliest deadline now. */
static int kick_scheduler(tnd_op *op)
{
    const tnd_tender *t = op->resp;
    if (t->status == tender_tenders_v1_TenderStatus_ACTIVE && t->fields)
        tnd_scheduler_kick(op->srv, tnd_ts_ms(t->fields->submission_deadline));
    return 0;
}

static void on_publish(tnd_call *call, void *request)
{
    tnd_op_run_then(call, request, TENDER_RESP, tnd__tender_publish_fn, kick_scheduler);
}

static void on_amend(tnd_call *call, void *request)
{
    const tender_tenders_v1_AmendTenderRequest *req = request;
    if (fields_ok(call, req->fields))
        tnd_op_run_then(call, req, TENDER_RESP, tnd__tender_amend_fn, kick_scheduler);
}

static void on_cancel_tender(tnd_call *call, void *request)
{
    const tender_tenders_v1_CancelTenderRequest *req = request;
    /* reason is there: the schema's required (tender.schema). */
    tnd_op_run(call, req, TENDER_RESP, tnd__tender_cancel_fn, NULL, 0);
}

static void on_cancel_lot(tnd_call *call, void *request)
{
    /* id, lot_id and reason are there: the schema's required. */
    tnd_op_run(call, request, TENDER_RESP, tnd__tender_cancel_lot_fn, NULL, 0);
}

static void on_ask(tnd_call *call, void *request)
{
    tnd_op_run(call, request, &tender_tenders_v1_Question_desc, tnd__tender_ask_fn, NULL, 0);
}

static void on_answer(tnd_call *call, void *request)
{
    tnd_op_run(call, request, &tender_tenders_v1_Question_desc, tnd__tender_answer_fn, NULL, 0);
}

const tnd_handler tnd_tender_write_handlers[] = {
    {.method = tender_tenders_v1_Tenders_Create_method, .on_message = on_create},
    {.method = tender_tenders_v1_Tenders_Edit_method, .on_message = on_edit},
    {.method = tender_tenders_v1_Tenders_Publish_method, .on_message = on_publish},
    {.method = tender_tenders_v1_Tenders_Amend_method, .on_message = on_amend},
    {.method = tender_tenders_v1_Tenders_Cancel_method, .on_message = on_cancel_tender},
    {.method = tender_tenders_v1_Tenders_CancelLot_method, .on_message = on_cancel_lot},
    {.method = tender_tenders_v1_Tenders_Ask_method, .on_message = on_ask},
    {.method = tender_tenders_v1_Tenders_Answer_method, .on_message = on_answer},
};
const size_t tnd_tender_write_handler_count =
    sizeof tnd_tender_write_handlers / sizeof *tnd_tender_write_handlers;
