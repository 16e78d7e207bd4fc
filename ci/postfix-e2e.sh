#!/usr/bin/env bash
# End-to-end: a real Postfix with mailaudit-milter, on loopback only.
#
# Starts a private Postfix instance (its own config, queue and mailbox
# directories under a temporary directory; listens on 127.0.0.1 only; no
# relaying: every non-local destination is an error transport) and the
# milter on 127.0.0.1, then talks SMTP to it and asserts:
#   1. the incident message (300 visible consumer addresses in Cc) is
#      refused at end of DATA with a 5xx naming exposed-recipient-list
#      (the e2e policy makes that rule `reject`);
#   2. a clean message is accepted and delivered to the local maildir with
#      an X-Mailaudit-Verdict: pass header;
#   3. a message showing five private (consumer) addresses in To is accepted
#      but quarantined: it waits in Postfix's hold queue, not in the mailbox
#      (the e2e policy makes consumer-recipients-visible `quarantine`);
#   4. on one connection, the incident is refused and then a clean message
#      carrying a forged X-Mailaudit-Verdict header is delivered with only
#      the milter's own header.
# (A Bcc-header leak cannot be tested behind Postfix: its cleanup server
# removes Bcc fields before the milter sees the headers.)
# Postfix and the milter are stopped on exit, also on failure.
#
# Usage: bash ci/postfix-e2e.sh  (as root, from the repository root; installs
#        postfix, libmilter-dev, gcc with apt-get when missing).
#        KEEP=1 keeps the temporary directory for inspection.
#        The milter runs under valgrind memcheck when valgrind is installed
#        (MILTER_VALGRIND=0 to skip, 1 to require): any memory error or
#        definite/indirect leak at shutdown fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'postfix-e2e.sh: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (Postfix's master runs as root)"

missing=()
for pkg in postfix libmilter-dev gcc make; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    # "No configuration": the package must not configure or start the
    # system's own Postfix; this script runs a private instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/mailaudit-e2e.XXXXXX)
# The virtual delivery agent runs as nobody and must reach the maildir.
chmod 755 "$work"
etc="$work/etc"
milter_pid=""
valgrind=0
postfix_started=0

# Stops the milter (SIGTERM: libmilter's smfi_main returns and the milter
# frees the auditor, which lets valgrind check for leaks); fails if it did
# not exit cleanly.
stop_milter() {
    [ -n "$milter_pid" ] || return 0
    local pid=$milter_pid milter_rc
    milter_pid=""
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    milter_rc=$?
    if [ "$milter_rc" -ne 0 ]; then
        echo "postfix-e2e.sh: FAIL: milter exited with $milter_rc (99: valgrind found errors or leaks)" >&2
        return 1
    fi
    [ "$valgrind" = 1 ] && echo "milter under valgrind: no memory errors, no definite/indirect leaks"
    return 0
}

cleanup() {
    local rc=$?
    set +e
    if [ "$postfix_started" = 1 ]; then
        postfix -c "$etc" stop >/dev/null 2>&1 || postfix -c "$etc" abort >/dev/null 2>&1
        # Wait for master to go (it removes its pid file).
        for _ in $(seq 50); do
            [ -e "$work/queue/pid/master.pid" ] || break
            sleep 0.1
        done
    fi
    stop_milter || { [ "$rc" -ne 0 ] || rc=1; }
    if [ "$rc" -ne 0 ]; then
        echo "--- maillog (tail)"; tail -n 40 "$work/maillog" 2>/dev/null
        echo "--- milter log"; cat "$work/milter.log" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "build the library and the milter"
cargo build --release --lib
make -s -C examples/milter OUT="$work/bin"

# Two free loopback ports (the kernel picks; a race with another process
# is possible but harmless here: start-up would fail loudly).
read -r smtp_port milter_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
echo "smtp 127.0.0.1:$smtp_port, milter 127.0.0.1:$milter_port"

step "write the private Postfix instance in $work"
mkdir -p "$etc" "$work/queue" "$work/data" "$work/mail"
chown postfix "$work/data"
chown "$(id -u nobody):$(id -g nobody)" "$work/mail"
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)
cat > "$etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $work/queue
data_directory = $work/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $work
maillog_file = $work/maillog
myhostname = e2e.mailaudit.test
mydomain = mailaudit.test
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# Nothing leaves this machine: every non-local destination is an error.
relayhost =
default_transport = error:e2e instance: no external delivery
relay_transport = error:e2e instance: no relay
# Local delivery: receiver.test goes to one maildir (trailing slash).
virtual_mailbox_domains = receiver.test
virtual_mailbox_base = $work/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$nobody_uid
virtual_gid_maps = static:$nobody_gid
virtual_minimum_uid = 1
# The milter under test; if it is down, mail is deferred, not let through.
smtpd_milters = inet:127.0.0.1:$milter_port
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
EOF
# A minimal master.cf with no chroot (no copies of /etc files needed).
cat > "$etc/master.cf" <<EOF
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
smtp      unix  - - n - - smtp
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
cat > "$work/policy.toml" <<'EOF'
# e2e policy: an exposed recipient list is refused outright.
version = 1
[[organisations]]
name = "Northgate Lettings"
domains = ["northgate-lettings.example"]
[rules.exposed-recipient-list]
action = "reject"
severity = "high"
[rules.consumer-recipients-visible]
action = "quarantine"
severity = "medium"
EOF

step "start the milter"
run=()
valgrind=0
case "${MILTER_VALGRIND:-auto}" in
    1) command -v valgrind >/dev/null || fail "MILTER_VALGRIND=1 needs valgrind"; valgrind=1 ;;
    auto) command -v valgrind >/dev/null && valgrind=1 ;;
esac
if [ "$valgrind" = 1 ]; then
    run=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
         --errors-for-leak-kinds=definite,indirect -q)
fi
"${run[@]}" "$work/bin/mailaudit-milter" -p "inet:$milter_port@127.0.0.1" -c "$work/policy.toml" -t 30 \
    >"$work/milter.log" 2>&1 &
milter_pid=$!
# It says "listening on" once its socket is open (at most 60 s: valgrind
# starts slowly); if it exits first, say why.
for _ in $(seq 600); do
    grep -q "listening on" "$work/milter.log" && break
    kill -0 "$milter_pid" 2>/dev/null || fail "milter exited: $(cat "$work/milter.log")"
    sleep 0.1
done
grep -q "listening on" "$work/milter.log" || fail "milter did not start"

step "start Postfix"
# Without a terminal, postfix(1) reports only to the log, which does not
# exist until postlogd runs; on failure, rerun under script(1) to see why.
pf() {
    postfix -c "$etc" "$@" && return 0
    script -qec "postfix -c $etc $*" /dev/null || true
    fail "postfix $* failed"
}
pf check
postfix_started=1
pf start

# Wait until Postfix listens (at most 20 s).
python3 - "$smtp_port" <<'EOF'
import socket, sys, time
deadline = time.time() + 20
for port in map(int, sys.argv[1:]):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit(f"nothing listens on 127.0.0.1:{port}")
            time.sleep(0.2)
EOF

step "SMTP: incident, clean, consumer addresses visible"
cat > "$work/consumer-visible.eml" <<'EOF'
From: Priya Wendover <priya@northgate-lettings.example>
To: Inbox <inbox@receiver.test>, tenant.one@gmail.com, tenant.two@outlook.com,
 tenant.three@yahoo.co.uk, tenant.four@icloud.com, tenant.five@hotmail.co.uk
Subject: Inspection dates
Message-ID: <consumer-visible-e2e@northgate-lettings.example>

Inspections are on the 3rd.
EOF
python3 - "$smtp_port" "$work" <<'EOF'
import os, smtplib, sys, time

port, work = int(sys.argv[1]), sys.argv[2]

def send(*paths):
    """Sends the files over one SMTP connection; returns the (code, reply
    text) of the final answer to each."""
    results = []
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.ehlo("client.mailaudit.test")
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            try:
                smtp.sendmail("sender@northgate-lettings.example", ["inbox@receiver.test"], data)
                results.append((250, "accepted"))
            except smtplib.SMTPDataError as e:
                results.append((e.smtp_code, e.smtp_error.decode("utf-8", "replace")))
            except smtplib.SMTPRecipientsRefused as e:
                code, text = next(iter(e.recipients.values()))
                results.append((code, text.decode("utf-8", "replace")))
            smtp.rset()
    return results

failures = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

incident = "examples/c/testdata/incident-cc-300.eml"
clean = "examples/c/testdata/clean-internal.eml"

[(code, text)] = send(incident)
print(f"incident -> {code} {text}")
check(500 <= code < 600, "incident refused with a 5xx")
check("exposed-recipient-list" in text, "the refusal names exposed-recipient-list")
check("5.7.1" in text, "enhanced status 5.7.1")

[(code, text)] = send(clean)
print(f"clean -> {code} {text}")
check(code == 250, "clean message accepted")

[(code, text)] = send(os.path.join(work, "consumer-visible.eml"))
print(f"consumer visible -> {code} {text}")
check(code == 250, "consumer-visible message accepted (to be quarantined, not refused)")

# Two messages on one connection (the milter must start afresh for each),
# the second carrying a forged verdict header that must not survive.
forged = os.path.join(work, "forged.eml")
with open(clean, "rb") as f, open(forged, "wb") as out:
    out.write(b"X-Mailaudit-Verdict: forged\r\n" + f.read())
second = send(incident, forged)
print(f"one connection: incident, clean -> {[c for c, _ in second]}")
check([c for c, _ in second] == [550, 250], "same connection: incident refused, then clean accepted")

# Delivery is asynchronous: wait until the maildir and the hold queue have
# their messages, at most 30 s, then give a wrong delivery time to show up.
new = os.path.join(work, "mail", "inbox", "new")
hold = os.path.join(work, "queue", "hold")
def delivered():
    return os.listdir(new) if os.path.isdir(new) else []
def held():
    return [f for _, _, fs in os.walk(hold) for f in fs]
deadline = time.time() + 30
while time.time() < deadline and not (len(delivered()) >= 2 and held()):
    time.sleep(0.3)
time.sleep(2)
check(len(held()) == 1, f"one message on hold (quarantined) (got {len(held())})")
check(len(delivered()) == 2, f"exactly the two clean messages delivered to the maildir (got {len(delivered())})")
for name in delivered():
    with open(os.path.join(new, name), "rb") as f:
        mail = f.read().decode("utf-8", "replace")
    headers = mail.split("\n\n", 1)[0]
    check("Subject: Rota for next week" in headers, f"{name}: the delivered message is the clean one")
    verdicts = [l for l in headers.splitlines() if l.lower().startswith("x-mailaudit-verdict:")]
    check(verdicts == ["X-Mailaudit-Verdict: pass"], f"{name}: one X-Mailaudit-Verdict: pass header (got {verdicts})")

sys.exit(1 if failures else 0)
EOF

step "milter log"
cat "$work/milter.log"
grep -q "reject (exposed-recipient-list" "$work/milter.log" || fail "milter log lacks the reject"
grep -q "quarantine (consumer-recipients-visible" "$work/milter.log" || fail "milter log lacks the quarantine"
# The log names rules and verdicts, never addresses.
if grep -Eq "[A-Za-z0-9._-]+@[A-Za-z][A-Za-z0-9-]*\." "$work/milter.log"; then fail "milter log contains an address"; fi

step "stop the milter"
stop_milter || exit 1

printf '\npostfix-e2e.sh: 4 passed, 0 failed\n'
