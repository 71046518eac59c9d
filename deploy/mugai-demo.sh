#!/usr/bin/env bash
# mugai-demo.sh — mugai in front of a real Postfix, on loopback, in one command.
#
#   deploy/mugai-demo.sh           install what is missing, build, start everything, send samples
#   deploy/mugai-demo.sh --stop    stop everything again
#   options: --state DIR (default ./state/demo)
#
# What runs: a private Postfix instance (smtpd on 127.0.0.1:2525, its own config and queue under
# the state folder) with smtpd_milters = mugai-milter on inet:8895@127.0.0.1 and
# milter_default_action = tempfail, relaying to Postfix's smtp-sink on 127.0.0.1:2526, which
# stores each delivered message as a file. mugai-milter runs with its embedded default config,
# which scans with libclamav from /var/lib/clamav. Without signatures there (freshclam never ran),
# the demo runs freshclam once; when that fails too (no network), it scans with a small test
# database (EICAR and mugai's test signatures) under the state folder, and says so.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/state/demo"
SOCKET="inet:8895@127.0.0.1"
STOP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stop) STOP=1 ;;
    --state) STATE="$(realpath -m "$2")"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "mugai-demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

stop_milter() {
  if [ -f "$STATE/mugai-milter.pid" ]; then
    kill "$(cat "$STATE/mugai-milter.pid")" 2>/dev/null || true
    rm -f "$STATE/mugai-milter.pid"
  fi
}

if [ "$STOP" = 1 ]; then
  "$ROOT/deploy/postfix-lab.sh" stop "$STATE" || true
  stop_milter
  echo "mugai-demo: stopped (state kept in $STATE)"
  exit 0
fi

"$ROOT/deploy/install-deps.sh"
echo "mugai-demo: building in $ROOT/build-demo" >&2
cmake -S "$ROOT" -B "$ROOT/build-demo" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$ROOT/build-demo" -j "$(nproc)" --target mugai-milter mugai >/dev/null

mkdir -p "$STATE/log"
stop_milter
"$ROOT/deploy/postfix-lab.sh" stop "$STATE" >/dev/null 2>&1 || true
rm -rf "$STATE/sink"
# Embedded default configuration: no -c, and no /etc/mugai/mugai.conf is needed, as long as there
# are virus signatures where it looks for them (mugai fails closed without them).
CONFIG_ARGS=()
if ! "$ROOT/build-demo/mugai" scan-info >/dev/null 2>&1; then
  if getent hosts database.clamav.net >/dev/null 2>&1; then
    echo "mugai-demo: no usable ClamAV signatures in /var/lib/clamav; running freshclam once" >&2
    timeout 300 freshclam --quiet >/dev/null 2>&1 || true
  fi
fi
if "$ROOT/build-demo/mugai" scan-info >/dev/null 2>&1; then
  "$ROOT/build-demo/mugai" scan-info | sed 's/^/mugai-demo: /' >&2
else
  echo "mugai-demo: freshclam could not fetch signatures: scanning with the TEST signatures only" >&2
  echo "mugai-demo: (EICAR and mugai's own; $STATE/mugai.conf points [scan] database_dir at them)" >&2
  python3 - "$ROOT" "$STATE" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
import scan_db
db = scan_db.make_database(os.path.join(sys.argv[2], "signatures"))
text = open(os.path.join(sys.argv[1], "config", "mugai.conf"), encoding="utf-8").read()
open(os.path.join(sys.argv[2], "mugai.conf"), "w", encoding="utf-8").write(scan_db.config_with_database(text, db))
PY
  CONFIG_ARGS=(-c "$STATE/mugai.conf")
fi
"$ROOT/build-demo/mugai-milter" -f -p "$SOCKET" "${CONFIG_ARGS[@]}" >>"$STATE/log/mugai-milter.log" 2>&1 &
echo $! >"$STATE/mugai-milter.pid"
"$ROOT/deploy/postfix-lab.sh" start "$STATE" --milter "$SOCKET" --port 2525 --sink-port 2526

samples=(japanese_html_newsletter attachments_japanese_names documents_to_text iso2022jp_plain)
for s in "${samples[@]}"; do
  python3 - "$ROOT/tests/golden/$s/input.eml" <<'PY'
import smtplib, sys
raw = open(sys.argv[1], "rb").read()
with smtplib.SMTP("127.0.0.1", 2525, timeout=60) as smtp:
    smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], raw)
PY
done
# And one carrying the EICAR test file: refused at SMTP time, naming the signature.
python3 - "$ROOT" <<'PY'
import os, smtplib, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
import scan_db
raw = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: EICAR test\r\n"
       b"MIME-Version: 1.0\r\nContent-Type: application/octet-stream; name=eicar.com\r\n\r\n"
       + scan_db.EICAR + b"\r\n")
try:
    with smtplib.SMTP("127.0.0.1", 2525, timeout=60) as smtp:
        smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], raw)
    print("mugai-demo: the EICAR message was ACCEPTED: that is a bug", file=sys.stderr)
except smtplib.SMTPDataError as e:
    print(f"mugai-demo: the EICAR message was refused: {e.smtp_code} {e.smtp_error.decode()}")
PY
"$ROOT/deploy/postfix-lab.sh" wait-delivered "$STATE" "${#samples[@]}" 60

echo
echo "mugai-demo: ${#samples[@]} sample messages went through Postfix and mugai-milter."
echo "What mugai did to each (its log: $STATE/log/mugai-milter.log):"
grep -E 'verdict=' "$STATE/log/mugai-milter.log" | tail -n "$(( ${#samples[@]} + 1 ))" | sed 's/^/  /'
echo
echo "Delivered, sanitized messages (as the LGWAN side would receive them):"
for f in "$STATE"/sink/*; do
  subject=$(python3 - "$f" "$ROOT" <<'PY'
import email, email.header, subprocess, sys
msg = subprocess.run([sys.argv[2] + "/deploy/postfix-lab.sh", "message", sys.argv[1]], capture_output=True).stdout
m = email.message_from_bytes(msg)
print(str(email.header.make_header(email.header.decode_header(m.get("Subject", "")))),
      "|", m.get_content_type(), "|", m.get("X-Mugai-Actions"))
PY
)
  echo "  $f"
  echo "      $subject"
done
echo
echo "Read one:  $ROOT/deploy/postfix-lab.sh message FILE | python3 -c 'import email,sys; m=email.message_from_binary_file(sys.stdin.buffer); print(m.get_payload(decode=True).decode())'"
echo "Stop:      $ROOT/deploy/mugai-demo.sh --stop"
