/*
 * audit_files: audits each file named on the command line through the
 * mailaudit C API and prints the verdict and the rules that fired.
 *
 *   audit_files [--policy FILE] [--json] [--chunk N] FILE...
 *
 * --chunk N feeds each message through an incremental session in pieces of
 * N bytes (as a milter would) instead of one mailaudit_audit call.
 * Exit status: 0 when every file was audited, 1 when one could not be, 2 on
 * a usage or policy error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailaudit.h"

/* Reads a whole file into a malloc'd buffer; the caller frees it. */
static int read_file(const char *path, unsigned char **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t cap = 8192, n = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL) { fclose(f); return -1; }
    for (;;) {
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) { free(buf); fclose(f); return -1; }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) { free(buf); return -1; }
    *data = buf;
    *len = n;
    return 0;
}

static mailaudit_result audit_in_chunks(const mailaudit_auditor *auditor, const unsigned char *msg,
                                        size_t len, size_t chunk, const mailaudit_report **report) {
    mailaudit_session *session = NULL;
    mailaudit_result rc = mailaudit_session_new(auditor, NULL, &session);
    if (rc != MAILAUDIT_RESULT_OK) return rc;
    for (size_t off = 0; off < len && rc == MAILAUDIT_RESULT_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = mailaudit_session_write(session, msg + off, n);
    }
    if (rc == MAILAUDIT_RESULT_OK) rc = mailaudit_session_finish(session, report);
    mailaudit_session_free(session);
    return rc;
}

static int print_report(const char *path, const mailaudit_report *report, int json) {
    if (json) {
        const char *text = NULL;
        size_t text_len = 0;
        if (mailaudit_report_json(report, &text, &text_len) != MAILAUDIT_RESULT_OK) return -1;
        printf("%s\t%.*s\n", path, (int)text_len, text);
        return 0;
    }
    mailaudit_verdict verdict;
    if (mailaudit_report_verdict(report, &verdict) != MAILAUDIT_RESULT_OK) return -1;
    printf("%s: %s\n", path, mailaudit_verdict_name(verdict));
    size_t count = mailaudit_report_violation_count(report);
    for (size_t i = 0; i < count; i++) {
        const char *rule = NULL, *message = NULL;
        mailaudit_verdict action;
        if (mailaudit_report_violation_rule(report, i, &rule) != MAILAUDIT_RESULT_OK ||
            mailaudit_report_violation_message(report, i, &message) != MAILAUDIT_RESULT_OK ||
            mailaudit_report_violation_action(report, i, &action) != MAILAUDIT_RESULT_OK)
            return -1;
        printf("  [%s] %s: %s\n", mailaudit_verdict_name(action), rule, message);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *policy_path = NULL;
    int json = 0;
    size_t chunk = 0;
    int first = 1;
    for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
        if (strcmp(argv[first], "--policy") == 0 && first + 1 < argc) {
            policy_path = argv[++first];
        } else if (strcmp(argv[first], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[first], "--chunk") == 0 && first + 1 < argc) {
            chunk = strtoul(argv[++first], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--policy FILE] [--json] [--chunk N] FILE...\n", argv[0]);
            return 2;
        }
    }
    if (first == argc) {
        fprintf(stderr, "usage: %s [--policy FILE] [--json] [--chunk N] FILE...\n", argv[0]);
        return 2;
    }

    unsigned char *policy = NULL;
    size_t policy_len = 0;
    if (policy_path != NULL && read_file(policy_path, &policy, &policy_len) != 0) {
        fprintf(stderr, "%s: %s\n", policy_path, strerror(errno));
        return 2;
    }
    char error[512];
    const mailaudit_auditor *auditor = NULL;
    mailaudit_result rc = mailaudit_auditor_new((const char *)policy, policy_len, error,
                                                sizeof error, &auditor);
    free(policy);
    if (rc != MAILAUDIT_RESULT_OK) {
        fprintf(stderr, "policy: %s: %s\n", mailaudit_result_message(rc),
                rc == MAILAUDIT_RESULT_POLICY_INVALID ? error : "");
        return 2;
    }
    fprintf(stderr, "mailaudit %s\n", mailaudit_version());

    int status = 0;
    for (int i = first; i < argc; i++) {
        unsigned char *msg = NULL;
        size_t len = 0;
        if (read_file(argv[i], &msg, &len) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        const mailaudit_report *report = NULL;
        rc = chunk > 0 ? audit_in_chunks(auditor, msg, len, chunk, &report)
                       : mailaudit_audit(auditor, msg, len, NULL, &report);
        free(msg);
        if (rc != MAILAUDIT_RESULT_OK) {
            printf("%s: error: %s\n", argv[i], mailaudit_result_message(rc));
            status = 1;
            continue;
        }
        if (print_report(argv[i], report, json) != 0) status = 1;
        mailaudit_report_free(report);
    }
    mailaudit_auditor_free(auditor);
    return status;
}
