/*
 * robustness: the C API against hostile callers. Every NULL a caller can
 * pass, misuse of sessions, and N pseudo-random messages (random bytes mixed
 * with MIME-shaped lines) audited whole and in random chunks, which must
 * agree. Meant to run under valgrind. Exit status 0 on success.
 *
 *   robustness [N] [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailaudit.h"

static int failures;

#define EXPECT(cond)                                                         \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "robustness.c:%d: expected %s\n", __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static uint64_t rng_state;
static uint64_t next_random(void) {
    /* xorshift64*: deterministic, so a failure can be replayed by SEED. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static const char *const pieces[] = {
    "From: a@x.example\r\n", "To: b@gmail.com, c@outlook.com\r\n",
    "Cc: d@yahoo.fr,\r\n e@icloud.com\r\n", "Bcc: f@aol.com\r\n",
    "Content-Type: multipart/mixed; boundary=\"b\"\r\n", "--b\r\n", "--b--\r\n",
    "Content-Transfer-Encoding: base64\r\n", "Content-Transfer-Encoding: quoted-printable\r\n",
    "\r\n", "\n", "=?utf-8?B?w6k=?=", "=C3=A9=\r\n", "aGVsbG8gd29ybGQ=\r\n", "hello ",
};

/* Fills buf with a random message-like byte string; returns its length. */
static size_t random_message(unsigned char *buf, size_t cap) {
    size_t len = 0, target = next_random() % cap;
    while (len < target) {
        uint64_t r = next_random();
        if (r % 4 == 0) {
            buf[len++] = (unsigned char)(r >> 8);
        } else {
            const char *p = pieces[(r >> 8) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            if (len + n > cap) break;
            memcpy(buf + len, p, n);
            len += n;
        }
    }
    return len;
}

/* Audits whole and in random chunks; both must agree on outcome and verdict. */
static void whole_vs_chunks(const mailaudit_auditor *auditor, const unsigned char *msg, size_t len) {
    const mailaudit_report *whole = NULL, *chunked = NULL;
    mailaudit_result rw = mailaudit_audit(auditor, msg, len, NULL, &whole);
    EXPECT(rw != MAILAUDIT_RESULT_PANIC && rw != MAILAUDIT_RESULT_INTERNAL);
    EXPECT((rw == MAILAUDIT_RESULT_OK) == (whole != NULL));

    mailaudit_session *s = NULL;
    EXPECT(mailaudit_session_new(auditor, NULL, &s) == MAILAUDIT_RESULT_OK);
    for (size_t off = 0; off < len;) {
        size_t n = 1 + next_random() % 512;
        if (n > len - off) n = len - off;
        EXPECT(mailaudit_session_write(s, msg + off, n) == MAILAUDIT_RESULT_OK);
        off += n;
    }
    mailaudit_result rc = mailaudit_session_finish(s, &chunked);
    mailaudit_session_free(s);
    EXPECT(rc == rw);
    if (rw == MAILAUDIT_RESULT_OK && rc == MAILAUDIT_RESULT_OK) {
        mailaudit_verdict vw, vc;
        EXPECT(mailaudit_report_verdict(whole, &vw) == MAILAUDIT_RESULT_OK);
        EXPECT(mailaudit_report_verdict(chunked, &vc) == MAILAUDIT_RESULT_OK);
        EXPECT(vw == vc);
        size_t count = mailaudit_report_violation_count(whole);
        EXPECT(count == mailaudit_report_violation_count(chunked));
        for (size_t i = 0; i < count; i++) {
            const char *a = NULL, *b = NULL;
            EXPECT(mailaudit_report_violation_rule(whole, i, &a) == MAILAUDIT_RESULT_OK);
            EXPECT(mailaudit_report_violation_rule(chunked, i, &b) == MAILAUDIT_RESULT_OK);
            EXPECT(a != NULL && b != NULL && strcmp(a, b) == 0);
        }
        const char *json = NULL;
        size_t json_len = 0;
        EXPECT(mailaudit_report_json(whole, &json, &json_len) == MAILAUDIT_RESULT_OK);
        EXPECT(json != NULL && strlen(json) == json_len);
    }
    mailaudit_report_free(whole);
    mailaudit_report_free(chunked);
}

static void null_arguments(const mailaudit_auditor *auditor) {
    const char *msg = "From: a@x.example\r\nTo: b@y.example\r\n\r\nhi\r\n";
    const uint8_t *m = (const uint8_t *)msg;
    size_t len = strlen(msg);
    const mailaudit_report *report = NULL;
    mailaudit_session *session = NULL;
    const char *str = NULL;
    size_t n = 0;
    mailaudit_verdict v;

    EXPECT(mailaudit_auditor_new(NULL, 0, NULL, 0, NULL) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_audit(NULL, m, len, NULL, &report) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_audit(auditor, NULL, len, NULL, &report) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_audit(auditor, m, len, NULL, NULL) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_audit(auditor, NULL, 0, NULL, &report) == MAILAUDIT_RESULT_MESSAGE_EMPTY);
    EXPECT(report == NULL);
    EXPECT(mailaudit_report_verdict(NULL, &v) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_violation_count(NULL) == 0);
    EXPECT(mailaudit_report_violation_rule(NULL, 0, &str) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_violation_message(NULL, 0, &str) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_violation_action(NULL, 0, &v) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_json(NULL, &str, &n) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_session_new(NULL, NULL, &session) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_session_new(auditor, NULL, NULL) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_session_write(NULL, m, len) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_session_finish(NULL, &report) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(str == NULL && session == NULL && report == NULL);
    mailaudit_report_free(NULL);
    mailaudit_session_free(NULL);
    mailaudit_auditor_free(NULL);

    /* A real report: NULL out-pointers and an index past the end. */
    EXPECT(mailaudit_audit(auditor, m, len, NULL, &report) == MAILAUDIT_RESULT_OK);
    EXPECT(mailaudit_report_verdict(report, NULL) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_json(report, NULL, &n) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    EXPECT(mailaudit_report_violation_rule(report, 1000, &str) == MAILAUDIT_RESULT_INDEX_OUT_OF_RANGE);
    EXPECT(str == NULL);
    mailaudit_report_free(report);

    /* Envelopes with a NULL list or a NULL entry; one with odd addresses. */
    mailaudit_envelope bad = {.mail_from = NULL, .rcpt_to = NULL, .rcpt_to_count = 3};
    report = NULL;
    EXPECT(mailaudit_audit(auditor, m, len, &bad, &report) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    const char *with_null[] = {"<a@b.example>", NULL};
    bad.rcpt_to = with_null;
    bad.rcpt_to_count = 2;
    EXPECT(mailaudit_session_new(auditor, &bad, &session) == MAILAUDIT_RESULT_NULL_ARGUMENT);
    const char *odd[] = {"", "<>", "\xff\xfe@\x80", "  <x@y.example>  "};
    mailaudit_envelope ok = {.mail_from = "<>", .rcpt_to = odd, .rcpt_to_count = 4};
    EXPECT(mailaudit_audit(auditor, m, len, &ok, &report) == MAILAUDIT_RESULT_OK);
    mailaudit_report_free(report);

    /* Session misuse: finish twice, write after finish. */
    EXPECT(mailaudit_session_new(auditor, &ok, &session) == MAILAUDIT_RESULT_OK);
    EXPECT(mailaudit_session_write(session, NULL, 0) == MAILAUDIT_RESULT_OK);
    EXPECT(mailaudit_session_write(session, m, len) == MAILAUDIT_RESULT_OK);
    report = NULL;
    EXPECT(mailaudit_session_finish(session, &report) == MAILAUDIT_RESULT_OK);
    const mailaudit_report *again = NULL;
    EXPECT(mailaudit_session_finish(session, &again) == MAILAUDIT_RESULT_SESSION_FINISHED);
    EXPECT(mailaudit_session_write(session, m, len) == MAILAUDIT_RESULT_SESSION_FINISHED);
    EXPECT(again == NULL);
    mailaudit_session_free(session);
    mailaudit_report_free(report);

    /* Bad policies: not UTF-8, not TOML, unknown key. The error buffer is
     * NUL-terminated even when it is tiny. */
    const char *policies[] = {"\xff\xfe", "[[[", "version = 1\nno_such_key = 3\n"};
    for (size_t i = 0; i < 3; i++) {
        char err[8];
        memset(err, 'x', sizeof err);
        const mailaudit_auditor *out = NULL;
        EXPECT(mailaudit_auditor_new(policies[i], strlen(policies[i]), err, sizeof err, &out) ==
               MAILAUDIT_RESULT_POLICY_INVALID);
        EXPECT(out == NULL && memchr(err, '\0', sizeof err) != NULL);
    }
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 500;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9e3779b97f4a7c15ULL;
    if (rng_state == 0) rng_state = 1;

    const mailaudit_auditor *auditor = NULL;
    if (mailaudit_auditor_new(NULL, 0, NULL, 0, &auditor) != MAILAUDIT_RESULT_OK) return 1;
    null_arguments(auditor);

    static unsigned char buf[16384];
    for (long i = 0; i < rounds; i++) whole_vs_chunks(auditor, buf, random_message(buf, sizeof buf));

    /* A session freed without finishing, and an auditor freed before its session. */
    mailaudit_session *s = NULL;
    EXPECT(mailaudit_session_new(auditor, NULL, &s) == MAILAUDIT_RESULT_OK);
    EXPECT(mailaudit_session_write(s, buf, 100) == MAILAUDIT_RESULT_OK);
    mailaudit_session_free(s);
    EXPECT(mailaudit_session_new(auditor, NULL, &s) == MAILAUDIT_RESULT_OK);
    mailaudit_auditor_free(auditor);
    EXPECT(mailaudit_session_write(s, (const uint8_t *)"From: a@b.example\r\n\r\nx", 22) ==
           MAILAUDIT_RESULT_OK);
    const mailaudit_report *r = NULL;
    EXPECT(mailaudit_session_finish(s, &r) == MAILAUDIT_RESULT_OK);
    mailaudit_report_free(r);
    mailaudit_session_free(s);

    printf("robustness: %ld random messages, %s\n", rounds,
           failures ? "FAILED" : "whole and chunked audits agree, all misuse refused");
    return failures ? 1 : 0;
}
