/*
 * threads: one auditor shared by several pthreads, each auditing the same
 * messages many times, whole and in chunks. Every result must equal the one
 * computed up front on the main thread. Exit status 0 on success.
 *
 *   threads THREADS ROUNDS FILE...
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailaudit.h"

#define MAX_FILES 16

struct message {
    unsigned char *data;
    size_t len;
    mailaudit_verdict verdict;
    size_t violations;
};

static const mailaudit_auditor *auditor;
static struct message messages[MAX_FILES];
static int message_count;
static int rounds;

static int read_file(const char *path, struct message *m) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return -1; }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return -1; }
    m->data = malloc((size_t)size + 1);
    if (m->data == NULL) { fclose(f); return -1; }
    m->len = fread(m->data, 1, (size_t)size, f);
    fclose(f);
    return m->len == (size_t)size ? 0 : -1;
}

/* Audits `m`, whole or in 97-byte chunks, and checks the outcome. */
static int check(const struct message *m, int chunked) {
    const mailaudit_report *report = NULL;
    mailaudit_result rc;
    if (chunked) {
        mailaudit_session *s = NULL;
        rc = mailaudit_session_new(auditor, NULL, &s);
        for (size_t off = 0; rc == MAILAUDIT_RESULT_OK && off < m->len; off += 97)
            rc = mailaudit_session_write(s, m->data + off, m->len - off < 97 ? m->len - off : 97);
        if (rc == MAILAUDIT_RESULT_OK) rc = mailaudit_session_finish(s, &report);
        mailaudit_session_free(s);
    } else {
        rc = mailaudit_audit(auditor, m->data, m->len, NULL, &report);
    }
    if (rc != MAILAUDIT_RESULT_OK) return -1;
    mailaudit_verdict v;
    int ok = mailaudit_report_verdict(report, &v) == MAILAUDIT_RESULT_OK && v == m->verdict &&
             mailaudit_report_violation_count(report) == m->violations;
    mailaudit_report_free(report);
    return ok ? 0 : -1;
}

static void *worker(void *arg) {
    long id = (long)arg;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < message_count; i++)
            if (check(&messages[i], (int)((r + i + id) % 2)) != 0) return (void *)1;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s THREADS ROUNDS FILE...\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    rounds = atoi(argv[2]);
    if (threads < 1 || threads > 64 || rounds < 1) return 2;
    if (mailaudit_auditor_new(NULL, 0, NULL, 0, &auditor) != MAILAUDIT_RESULT_OK) return 1;

    for (int i = 3; i < argc && message_count < MAX_FILES; i++) {
        struct message *m = &messages[message_count];
        if (read_file(argv[i], m) != 0) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            return 1;
        }
        const mailaudit_report *report = NULL;
        if (mailaudit_audit(auditor, m->data, m->len, NULL, &report) != MAILAUDIT_RESULT_OK) {
            /* Not a message: skip it, the other files still exercise the threads. */
            free(m->data);
            continue;
        }
        mailaudit_report_verdict(report, &m->verdict);
        m->violations = mailaudit_report_violation_count(report);
        mailaudit_report_free(report);
        message_count++;
    }
    if (message_count == 0) return 1;

    pthread_t ids[64];
    for (long t = 0; t < threads; t++)
        if (pthread_create(&ids[t], NULL, worker, (void *)t) != 0) return 1;
    int failures = 0;
    for (int t = 0; t < threads; t++) {
        void *result = NULL;
        pthread_join(ids[t], &result);
        if (result != NULL) failures++;
    }
    mailaudit_auditor_free(auditor);
    for (int i = 0; i < message_count; i++) free(messages[i].data);
    printf("threads: %d threads x %d rounds x %d messages: %s\n", threads, rounds, message_count,
           failures ? "MISMATCH" : "all results equal");
    return failures ? 1 : 0;
}
