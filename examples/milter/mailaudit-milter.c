/*
 * mailaudit-milter: a libmilter filter that audits each message with the
 * mailaudit C API while the MTA receives it.
 *
 *   mailaudit-milter -p SOCKET [-c POLICY.toml] [-t TIMEOUT_S]
 *
 * SOCKET is a libmilter connection spec, e.g. inet:8899@127.0.0.1 or
 * unix:/run/mailaudit.sock. The message is fed to an incremental session
 * (header by header, body chunk by body chunk) with the SMTP envelope; at
 * end of message the verdict decides:
 *   reject      -> 550 5.7.1 naming the rule and a short reason;
 *   quarantine  -> smfi_quarantine (Postfix: the hold queue) + header;
 *   pass / warn -> accept with an X-Mailaudit-Verdict header.
 * A message over the policy's size limit gets 552 5.3.4; input that is not
 * a message is accepted with "X-Mailaudit-Verdict: unscanned"; any other
 * failure is a temporary failure (451 4.3.0), so mail is never lost nor let
 * through unaudited silently. X-Mailaudit-Verdict headers sent by the client
 * are removed. Logs one line per message to stderr: queue id, verdict and
 * rule ids, never addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mailaudit.h"

#define VERDICT_HEADER "X-Mailaudit-Verdict"

/* One auditor for every connection and thread: it is thread-safe. */
static const mailaudit_auditor *auditor;

/* Per-connection state; the message part is reset for each message. */
struct conn {
    char *mail_from;
    char **rcpt;
    size_t rcpt_count, rcpt_cap;
    mailaudit_session *session;
    mailaudit_result failed;   /* first error from the session, or OK */
    int spoofed_headers;       /* client-sent X-Mailaudit-Verdict fields */
};

static void reset_message(struct conn *c) {
    free(c->mail_from);
    c->mail_from = NULL;
    for (size_t i = 0; i < c->rcpt_count; i++) free(c->rcpt[i]);
    free(c->rcpt);
    c->rcpt = NULL;
    c->rcpt_count = c->rcpt_cap = 0;
    mailaudit_session_free(c->session);
    c->session = NULL;
    c->failed = MAILAUDIT_RESULT_OK;
    c->spoofed_headers = 0;
}

static struct conn *get_conn(SMFICTX *ctx) {
    struct conn *c = smfi_getpriv(ctx);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c != NULL && smfi_setpriv(ctx, c) != MI_SUCCESS) {
            free(c);
            c = NULL;
        }
    }
    return c;
}

/* Starts the session on first use, when the envelope is complete. */
static mailaudit_session *session(struct conn *c) {
    if (c->session == NULL && c->failed == MAILAUDIT_RESULT_OK) {
        mailaudit_envelope env = {
            .mail_from = c->mail_from,
            .rcpt_to = (const char *const *)c->rcpt,
            .rcpt_to_count = c->rcpt_count,
        };
        c->failed = mailaudit_session_new(auditor, &env, &c->session);
    }
    return c->session;
}

static void feed(struct conn *c, const void *data, size_t len) {
    mailaudit_session *s = session(c);
    if (s == NULL || c->failed != MAILAUDIT_RESULT_OK) return;
    mailaudit_result rc = mailaudit_session_write(s, data, len);
    if (rc != MAILAUDIT_RESULT_OK) c->failed = rc;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv) {
    struct conn *c = get_conn(ctx);
    if (c == NULL) return SMFIS_TEMPFAIL;
    reset_message(c);
    if (argv[0] != NULL && (c->mail_from = strdup(argv[0])) == NULL) return SMFIS_TEMPFAIL;
    return SMFIS_CONTINUE;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv) {
    struct conn *c = get_conn(ctx);
    if (c == NULL || argv[0] == NULL) return SMFIS_TEMPFAIL;
    if (c->rcpt_count == c->rcpt_cap) {
        size_t cap = c->rcpt_cap ? c->rcpt_cap * 2 : 16;
        char **bigger = realloc(c->rcpt, cap * sizeof *bigger);
        if (bigger == NULL) return SMFIS_TEMPFAIL;
        c->rcpt = bigger;
        c->rcpt_cap = cap;
    }
    if ((c->rcpt[c->rcpt_count] = strdup(argv[0])) == NULL) return SMFIS_TEMPFAIL;
    c->rcpt_count++;
    return SMFIS_CONTINUE;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value) {
    struct conn *c = get_conn(ctx);
    if (c == NULL) return SMFIS_TEMPFAIL;
    if (strcasecmp(name, VERDICT_HEADER) == 0) c->spoofed_headers++;
    feed(c, name, strlen(name));
    feed(c, ": ", 2);
    feed(c, value, strlen(value));
    feed(c, "\r\n", 2);
    return SMFIS_CONTINUE;
}

static sfsistat on_eoh(SMFICTX *ctx) {
    struct conn *c = get_conn(ctx);
    if (c == NULL) return SMFIS_TEMPFAIL;
    feed(c, "\r\n", 2);
    return SMFIS_CONTINUE;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len) {
    struct conn *c = get_conn(ctx);
    if (c == NULL) return SMFIS_TEMPFAIL;
    feed(c, chunk, len);
    return SMFIS_CONTINUE;
}

/* Copies `text` into `out` for an SMTP reply: printable ASCII only, '%'
 * dropped (libmilter reads it as a format character), at most out_len-1. */
static void reply_text(char *out, size_t out_len, const char *text) {
    size_t n = 0;
    for (; *text != '\0' && n + 1 < out_len; text++) {
        unsigned char ch = (unsigned char)*text;
        if (ch == '%') continue;
        out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
    }
    out[n] = '\0';
}

/* "quarantine (rule-a, rule-b)" for the header and the log. */
static void summary(const mailaudit_report *report, mailaudit_verdict verdict, char *out,
                    size_t out_len) {
    size_t used = (size_t)snprintf(out, out_len, "%s", mailaudit_verdict_name(verdict));
    size_t count = mailaudit_report_violation_count(report);
    for (size_t i = 0; i < count && used < out_len; i++) {
        const char *rule = NULL;
        if (mailaudit_report_violation_rule(report, i, &rule) != MAILAUDIT_RESULT_OK) continue;
        used += (size_t)snprintf(out + used, out_len - used, "%s%s", i == 0 ? " (" : ", ", rule);
        if (i + 1 == count && used < out_len)
            used += (size_t)snprintf(out + used, out_len - used, ")");
    }
}

static void log_line(SMFICTX *ctx, const char *what) {
    const char *queue_id = smfi_getsymval(ctx, "i");
    fprintf(stderr, "mailaudit-milter: %s: %s\n", queue_id ? queue_id : "NOQUEUE", what);
}

static sfsistat on_eom(SMFICTX *ctx) {
    struct conn *c = get_conn(ctx);
    if (c == NULL) return SMFIS_TEMPFAIL;
    for (int i = c->spoofed_headers; i >= 1; i--)
        smfi_chgheader(ctx, VERDICT_HEADER, i, NULL);

    const mailaudit_report *report = NULL;
    mailaudit_result rc = c->failed;
    mailaudit_session *s = session(c);
    if (rc == MAILAUDIT_RESULT_OK && s != NULL) rc = mailaudit_session_finish(s, &report);
    if (rc == MAILAUDIT_RESULT_OK && s == NULL) rc = c->failed;
    sfsistat status = SMFIS_CONTINUE;

    if (rc == MAILAUDIT_RESULT_MESSAGE_TOO_LARGE) {
        log_line(ctx, "too large to audit: rejected");
        smfi_setreply(ctx, "552", "5.3.4", "mailaudit: message too large to audit");
        status = SMFIS_REJECT;
    } else if (rc == MAILAUDIT_RESULT_NOT_A_MESSAGE || rc == MAILAUDIT_RESULT_MESSAGE_EMPTY) {
        log_line(ctx, "unscanned (not a message)");
        smfi_addheader(ctx, VERDICT_HEADER, "unscanned");
    } else if (rc != MAILAUDIT_RESULT_OK) {
        log_line(ctx, mailaudit_result_message(rc));
        smfi_setreply(ctx, "451", "4.3.0", "mailaudit: could not audit the message, try later");
        status = SMFIS_TEMPFAIL;
    } else {
        mailaudit_verdict verdict = MAILAUDIT_VERDICT_PASS;
        mailaudit_report_verdict(report, &verdict);
        char line[512];
        summary(report, verdict, line, sizeof line);
        log_line(ctx, line);
        if (verdict == MAILAUDIT_VERDICT_REJECT) {
            /* Name the first rule that asks for rejection. */
            const char *rule = "policy", *message = "rejected by policy";
            size_t count = mailaudit_report_violation_count(report);
            for (size_t i = 0; i < count; i++) {
                mailaudit_verdict action;
                if (mailaudit_report_violation_action(report, i, &action) == MAILAUDIT_RESULT_OK &&
                    action == MAILAUDIT_VERDICT_REJECT) {
                    mailaudit_report_violation_rule(report, i, &rule);
                    mailaudit_report_violation_message(report, i, &message);
                    break;
                }
            }
            char reason[200], text[300];
            reply_text(reason, sizeof reason, message);
            snprintf(text, sizeof text, "mailaudit: %s: %s", rule, reason);
            smfi_setreply(ctx, "550", "5.7.1", text);
            status = SMFIS_REJECT;
        } else {
            if (verdict == MAILAUDIT_VERDICT_QUARANTINE) {
                char reason[sizeof line + 16];
                snprintf(reason, sizeof reason, "mailaudit: %s", line);
                smfi_quarantine(ctx, reason);
            }
            smfi_addheader(ctx, VERDICT_HEADER, line);
        }
    }
    mailaudit_report_free(report);
    /* The connection may carry another message: keep nothing of this one. */
    reset_message(c);
    return status;
}

static sfsistat on_abort(SMFICTX *ctx) {
    struct conn *c = smfi_getpriv(ctx);
    if (c != NULL) reset_message(c);
    return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx) {
    struct conn *c = smfi_getpriv(ctx);
    if (c != NULL) {
        reset_message(c);
        free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc filter = {
    .xxfi_name = "mailaudit",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
    .xxfi_envfrom = on_envfrom,
    .xxfi_envrcpt = on_envrcpt,
    .xxfi_header = on_header,
    .xxfi_eoh = on_eoh,
    .xxfi_body = on_body,
    .xxfi_eom = on_eom,
    .xxfi_abort = on_abort,
    .xxfi_close = on_close,
};

static char *read_policy(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL) { free(buf); fclose(f); return NULL; }
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    const char *socket = NULL, *policy_path = NULL;
    int timeout = 0, opt;
    while ((opt = getopt(argc, argv, "p:c:t:")) != -1) {
        switch (opt) {
        case 'p': socket = optarg; break;
        case 'c': policy_path = optarg; break;
        case 't': timeout = atoi(optarg); break;
        default: socket = NULL; optind = argc; break;
        }
    }
    if (socket == NULL) {
        fprintf(stderr, "usage: %s -p SOCKET [-c POLICY.toml] [-t TIMEOUT_S]\n", argv[0]);
        return 2;
    }
    char *policy = NULL;
    size_t policy_len = 0;
    if (policy_path != NULL && (policy = read_policy(policy_path, &policy_len)) == NULL) {
        fprintf(stderr, "mailaudit-milter: cannot read %s\n", policy_path);
        return 2;
    }
    char error[512];
    mailaudit_result rc = mailaudit_auditor_new(policy, policy_len, error, sizeof error, &auditor);
    free(policy);
    if (rc != MAILAUDIT_RESULT_OK) {
        fprintf(stderr, "mailaudit-milter: policy: %s\n",
                rc == MAILAUDIT_RESULT_POLICY_INVALID ? error : mailaudit_result_message(rc));
        return 2;
    }
    if (smfi_setconn((char *)socket) == MI_FAILURE || smfi_register(filter) == MI_FAILURE ||
        (timeout > 0 && smfi_settimeout(timeout) == MI_FAILURE)) {
        fprintf(stderr, "mailaudit-milter: cannot set up libmilter on %s\n", socket);
        mailaudit_auditor_free(auditor);
        return 1;
    }
    /* Fail now, not at the first connection, when the socket cannot be opened. */
    if (smfi_opensocket(1) == MI_FAILURE) {
        fprintf(stderr, "mailaudit-milter: cannot open %s\n", socket);
        mailaudit_auditor_free(auditor);
        return 1;
    }
    fprintf(stderr, "mailaudit-milter: mailaudit %s listening on %s\n", mailaudit_version(), socket);
    int result = smfi_main();
    mailaudit_auditor_free(auditor);
    return result == MI_SUCCESS ? 0 : 1;
}
