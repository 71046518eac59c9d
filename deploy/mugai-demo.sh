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
# stores each delivered message as a file. mugai-milter runs with its embedded default config.
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
# Embedded default configuration: no -c, and no /etc/mugai/mugai.conf is needed.
"$ROOT/build-demo/mugai-milter" -f -p "$SOCKET" >>"$STATE/log/mugai-milter.log" 2>&1 &
echo $! >"$STATE/mugai-milter.pid"
"$ROOT/deploy/postfix-lab.sh" start "$STATE" --milter "$SOCKET" --port 2525 --sink-port 2526

samples=(japanese_html_newsletter attachments_japanese_names iso2022jp_plain)
for s in "${samples[@]}"; do
  python3 - "$ROOT/tests/golden/$s/input.eml" <<'PY'
import smtplib, sys
raw = open(sys.argv[1], "rb").read()
with smtplib.SMTP("127.0.0.1", 2525, timeout=60) as smtp:
    smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], raw)
PY
done
"$ROOT/deploy/postfix-lab.sh" wait-delivered "$STATE" "${#samples[@]}" 60

echo
echo "mugai-demo: ${#samples[@]} sample messages went through Postfix and mugai-milter."
echo "What mugai did to each (its log: $STATE/log/mugai-milter.log):"
grep -E 'verdict=' "$STATE/log/mugai-milter.log" | tail -n "${#samples[@]}" | sed 's/^/  /'
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
