/* tenderctl question ask / answer / list: suppliers' questions about a
 * tender and the buyer's answers (Ask, Answer, Questions). */
#include <stddef.h>
#include <string.h>

#include "cli/ctl.h"
#include "commands.h"
#include "tender/pages.h"
#include "tender_schema.h"

typedef struct text_opts {
    const char *text;
} text_opts;

static int print_question(const ctl_global *g, const tender_tenders_v1_Question *q, bool id_only)
{
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Question_desc, q));
    } else {
        printf(id_only ? "%s\n" : "%s answered\n", q->id ? q->id : "?");
    }
    return CTL_EXIT_OK;
}

static int question_ask(ctl_global *g, const ctl_call *call)
{
    const text_opts *o = call->opts;
    const char *text = o->text, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1 || !text || !*text) {
        ctl_err("question ask: give TENDER and --text TEXT (see tenderctl question ask --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_AskQuestionRequest req = {.tender_id = ctl_str(call, pos[0]),
                                                .text = ctl_str(call, text)};
    tender_tenders_v1_Question q;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena))
        rc = ctl_oom();
    else if (tender_tenders_v1_Tenders_Ask_in(c, call->arena, &req, &q, ctl_idem_next(&k), &st) !=
             0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        rc = print_question(g, &q, true);
    tnd_client_free(c);
    return rc;
}

static int question_answer(ctl_global *g, const ctl_call *call)
{
    const text_opts *o = call->opts;
    const char *text = o->text, *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 2 || !text || !*text) {
        ctl_err("question answer: give TENDER QUESTION_ID and --text TEXT (see tenderctl "
                "question answer --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_AnswerQuestionRequest req = {.tender_id = ctl_str(call, pos[0]),
                                                   .question_id = ctl_str(call, pos[1]),
                                                   .answer = ctl_str(call, text)};
    tender_tenders_v1_Question q;
    tnd_status_info st;
    if (tnd_arena_failed(call->arena))
        rc = ctl_oom();
    else if (tender_tenders_v1_Tenders_Answer_in(c, call->arena, &req, &q, ctl_idem_next(&k),
                                                 &st) != 0)
        rc = ctl_reply_fail(call->arena, &st);
    else
        rc = print_question(g, &q, false);
    tnd_client_free(c);
    return rc;
}

static void print_list(const tender_tenders_v1_ListQuestionsResponse *r)
{
    for (size_t i = 0; i < r->n_questions; i++) {
        const tender_tenders_v1_Question *q = &r->questions[i];
        char when[64];
        printf("%s%s  asked %s", i ? "\n" : "", q->id ? q->id : "?",
               q->asked ? ctl_time_text(q->asked->seconds, q->asked->nanos, when, sizeof when)
                        : "-");
        if (q->asked_by_org && *q->asked_by_org)
            printf(" by %s", q->asked_by_org);
        printf("\n  Q: %s\n", q->text ? q->text : "");
        if (q->answer && *q->answer)
            printf("  A: %s\n     (answered %s)\n", q->answer,
                   q->answered
                       ? ctl_time_text(q->answered->seconds, q->answered->nanos, when, sizeof when)
                       : "-");
        else
            printf("  A: (not answered yet)\n");
    }
}

static int question_list(ctl_global *g, const ctl_call *call)
{
    const char *const *pos = call->pos;
    int n_pos = call->n_pos, rc;
    if (n_pos != 1) {
        ctl_err("question list: give the TENDER id");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    tender_tenders_v1_ListQuestionsResponse r;
    tnd_status_info st;
    if (tnd_questions_fetch(c, pos[0], &r, &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        if (g->json) {
            json_t *list = json_array();
            for (size_t i = 0; list && i < r.n_questions; i++)
                json_array_append_new(
                    list, ctl_json_msg(&tender_tenders_v1_Question_desc, &r.questions[i]));
            ctl_json_print(list);
        } else if (r.n_questions == 0) {
            printf("no questions to show\n");
        } else {
            print_list(&r);
        }
        tender_tenders_v1_ListQuestionsResponse_free(&r);
    }
    tnd_client_free(c);
    return rc;
}

static const ctl_optdef ask_optdefs[] = {
    {.name = "--text", .kind = CTL_STRING, .at = offsetof(text_opts, text), .arg = "_TEXT_",
     .help = "The question."},
    {0},
};

static const ctl_optdef answer_optdefs[] = {
    {.name = "--text", .kind = CTL_STRING, .at = offsetof(text_opts, text), .arg = "_TEXT_",
     .help = "The answer."},
    {0},
};

static const ctl_cmd ask_cmd = {
    .name = "ask",
    .synopsis = "_TENDER_ *--text* _TEXT_",
    .summary = "ask about an active tender (supplier)",
    .about = "Ask the buyer about an active tender, before its enquiry deadline (supplier).\n"
             "Prints the question's id (the Question with *--json*). The question becomes public\n"
             "when answered; who asked is never shown.",
    .opts = ask_optdefs,
    .opts_size = sizeof(text_opts),
    .max_pos = 1,
    .run = question_ask,
};

static const ctl_cmd answer_cmd = {
    .name = "answer",
    .synopsis = "_TENDER_ _QUESTION_ID_ *--text* _TEXT_",
    .summary = "answer a question (officer of the buyer)",
    .about = "Answer a question (officer of the buyer); the answer, with the question, becomes\n"
             "public. Answering again replaces the answer. Prints \"QUESTION_ID answered\" (the\n"
             "Question with *--json*).",
    .opts = answer_optdefs,
    .opts_size = sizeof(text_opts),
    .max_pos = 2,
    .run = question_answer,
};

static const ctl_cmd list_cmd = {
    .name = "list",
    .synopsis = "_TENDER_",
    .summary = "the questions you may see",
    .about = "Answered questions for everyone; also the unanswered ones for the buyer's officers\n"
             "and the supplier who asked. *--json* prints an array of Question objects.",
    .max_pos = 1,
    .run = question_list,
};

const ctl_cmd ctl_cmd_question = {
    .name = "question",
    .summary = "questions about a tender and their answers",
    .subs = (const ctl_cmd *const[]){&ask_cmd, &answer_cmd, &list_cmd, NULL},
};
