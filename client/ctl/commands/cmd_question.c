/* tenderctl question ask / answer / list: suppliers' questions about a
 * tender and the buyer's answers (Ask, Answer, Questions). */
#include <string.h>

#include "ctl.h"
#include "tender/pages.h"
#include "tender_schema.h"

static const char question_usage[] =
    "usage: tenderctl question COMMAND [ARGS]\n"
    "\n"
    "  ask TENDER --text TEXT                 ask about an active tender (supplier)\n"
    "  answer TENDER QUESTION_ID --text TEXT  answer a question (officer of the buyer)\n"
    "  list TENDER                            the questions you may see\n"
    "\n"
    "`tenderctl question COMMAND --help` describes each.\n";

static const char ask_usage[] =
    "usage: tenderctl question ask TENDER --text TEXT\n"
    "\n"
    "Ask the buyer a question about an active tender, before its enquiry deadline\n"
    "(supplier certificate). Prints the question's id (the Question with --json). The\n"
    "question becomes public when answered; who asked is never shown to others.\n";

static const char answer_usage[] =
    "usage: tenderctl question answer TENDER QUESTION_ID --text TEXT\n"
    "\n"
    "Answer a question (officer of the buyer); the answer, with the question, becomes\n"
    "public. Answering again replaces the answer. Prints \"QUESTION_ID answered\" (the\n"
    "Question with --json).\n";

static const char list_usage[] =
    "usage: tenderctl question list TENDER\n"
    "\n"
    "List the questions of a tender: answered ones for everyone, and also unanswered ones\n"
    "to the buyer's officers and to the supplier who asked. --json prints an array of\n"
    "Question objects.\n";

static int print_question(const ctl_global *g, const tender_tenders_v1_Question *q, bool id_only)
{
    if (g->json) {
        ctl_json_print(ctl_json_msg(&tender_tenders_v1_Question_desc, q));
    } else {
        printf(id_only ? "%s\n" : "%s answered\n", q->id ? q->id : "?");
    }
    return CTL_EXIT_OK;
}

static int question_ask(ctl_global *g, int argc, char **argv)
{
    const char *text = NULL, *pos[1];
    const ctl_opt opts[] = {{.name = "--text", .value = &text}, {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "question ask", ask_usage, opts, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 1 || !text || !*text) {
        ctl_err("question ask: give TENDER and --text TEXT (see tenderctl question ask --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_AskQuestionRequest req = {.tender_id = (char *)pos[0], .text = (char *)text};
    tender_tenders_v1_Question q;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Ask_method, &req, &q, ctl_idem_next(&k),
                         &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        rc = print_question(g, &q, true);
        tender_tenders_v1_Question_free(&q);
    }
    tnd_client_free(c);
    return rc;
}

static int question_answer(ctl_global *g, int argc, char **argv)
{
    const char *text = NULL, *pos[2];
    const ctl_opt opts[] = {{.name = "--text", .value = &text}, {0}};
    int n_pos, rc = ctl_args(g, argc, argv, "question answer", answer_usage, opts, pos, 2, &n_pos);
    if (rc >= 0)
        return rc;
    if (n_pos != 2 || !text || !*text) {
        ctl_err("question answer: give TENDER QUESTION_ID and --text TEXT (see tenderctl "
                "question answer --help)");
        return CTL_EXIT_USAGE;
    }
    tnd_client *c;
    if ((rc = ctl_connect(g, &c)) != 0)
        return rc;
    ctl_idem k = {0};
    tender_tenders_v1_AnswerQuestionRequest req = {
        .tender_id = (char *)pos[0], .question_id = (char *)pos[1], .answer = (char *)text};
    tender_tenders_v1_Question q;
    tnd_status_info st;
    if (tnd_client_unary(c, tender_tenders_v1_Tenders_Answer_method, &req, &q, ctl_idem_next(&k),
                         &st) != 0) {
        rc = ctl_status_fail(&st);
    } else {
        rc = print_question(g, &q, false);
        tender_tenders_v1_Question_free(&q);
    }
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

static int question_list(ctl_global *g, int argc, char **argv)
{
    const char *pos[1];
    int n_pos, rc = ctl_args(g, argc, argv, "question list", list_usage, NULL, pos, 1, &n_pos);
    if (rc >= 0)
        return rc;
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

int cmd_question(ctl_global *g, int argc, char **argv)
{
    static const ctl_sub subs[] = {
        {"ask", question_ask}, {"answer", question_answer}, {"list", question_list}};
    return ctl_subcommand(g, argc, argv, "question", question_usage, subs,
                          sizeof subs / sizeof *subs);
}
