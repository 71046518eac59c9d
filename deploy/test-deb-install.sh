#!/usr/bin/env bash
# test-deb-install.sh — the documented Debian path (deploy/install-debian.md), tested on a fresh
# Debian 12: a new bookworm chroot made with debootstrap (from the mirror this machine's apt
# uses), the .deb installed there with apt, Postfix in the chroot pointed at mugai-milter, and
# two mails sent through it: an HTML one (must arrive as text/plain) and an EICAR one (must be
# refused 550). Prints a PASS/FAIL line per check and a summary; exit 0 only when all pass.
#
#   deploy/test-deb-install.sh [--deb FILE] [--tarball FILE] [--keep] [--port N] [--no-boot]
#
#   --deb FILE      the package to test (default: build one with deploy/build-deb.sh)
#   --tarball FILE  a debootstrap --make-tarball of bookworm minbase, to skip the download
#   --keep          leave the chroot (its path is printed) instead of removing it
#   --port N        the loopback port of the chroot's smtpd (default: a free one)
#   --no-boot       skip part 2 (booting the chroot with systemd-nspawn)
#
# Run as root on Debian 12 (it installs debootstrap, and systemd-container for part 2, if
# missing). It takes minutes (debootstrap, then apt in the chroot).
# Part 1, in the chroot: systemd does not run in a chroot, so mugai-milter is started the way its
# installed unit starts it: ExecStartPre and ExecStart read from the unit, as User=/Group=, with
# UMask=, NoNewPrivileges= and the file system options emulated in a mount namespace
# (ProtectSystem=strict: everything read-only but ReadWritePaths= and RuntimeDirectory=;
# PrivateTmp=, ProtectHome=, a private /dev/shm); systemd-analyze verify checks the unit itself.
# Part 2, the same tree booted with systemd-nspawn (its own network namespace): systemd starts
# mugai-milter.service and Postfix as on a real host; the mails go through again, one with a CSV
# attachment that the mugai-convert worker turns into text inside the unit's sandbox, then
# systemctl reload and the purge service. Part 2 is skipped (and says so) where the container
# cannot boot. Part 3: apt-get purge mugai (configuration and unit links gone, a quarantine that
# holds originals kept, the mugai user left).
# Nothing is downloaded for virus signatures: the chroot's mugai.conf scans with the test
# signatures of tests/scan_db.py (EICAR among them) instead of /var/lib/clamav.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEB= TARBALL= KEEP=no PORT= BOOT=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) DEB=$(realpath "$2"); shift 2 ;;
    --tarball) TARBALL=$(realpath "$2"); shift 2 ;;
    --keep) KEEP=yes; shift ;;
    --port) PORT=$2; shift 2 ;;
    --no-boot) BOOT=no; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-deb-install: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deb-install: run as root (debootstrap, chroot, mounts)" >&2
  exit 2
fi

results=()
failed=0
check() {  # check NAME COMMAND...: one PASS/FAIL line
  local name=$1; shift
  if "$@" >>"$LOG" 2>&1; then
    results+=("PASS  $name"); echo "PASS  $name"
  else
    results+=("FAIL  $name"); echo "FAIL  $name"; failed=$((failed + 1))
  fi
}
die() {
  echo "test-deb-install: $*" >&2
  results+=("FAIL  $*"); failed=$((failed + 1))
  exit 1
}

WORK=$(mktemp -d /var/tmp/mugai-debtest.XXXXXX)
CH=$WORK/root
LOG=$WORK/test.log
MILTER_PID=
NSPAWN_PID=
summary() {
  local rc=$?
  set +e
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID"  # systemd-nspawn shuts the container down
    for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null
    wait "$NSPAWN_PID" 2>/dev/null
  fi
  if [ -n "$MILTER_PID" ]; then
    kill "$MILTER_PID" 2>/dev/null
    wait "$MILTER_PID" 2>/dev/null
  fi
  if [ -x "$CH/usr/sbin/postfix" ] && [ -d "$CH/proc/1" ]; then
    chroot "$CH" postfix stop >/dev/null 2>&1
  fi
  for m in "$CH/dev/pts" "$CH/dev" "$CH/proc"; do
    mountpoint -q "$m" && umount -l "$m"
  done
  echo
  echo "==== test-deb-install summary ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  printf '%s\n' "${results[@]}"
  if [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]; then
    echo "RESULT: PASS (${#results[@]} checks)"
  else
    echo "RESULT: FAIL ($failed of ${#results[@]} checks failed; log: $LOG)"
    KEEP=yes
  fi
  if [ "$KEEP" = no ] && grep -q " $CH" /proc/self/mounts; then
    echo "test-deb-install: something is still mounted under $CH: not removing it" >&2
    KEEP=yes
  fi
  if [ "$KEEP" = yes ]; then
    echo "chroot kept: $CH"
  else
    rm -rf "$WORK"
  fi
  if [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]; then exit 0; else exit 1; fi
}
trap summary EXIT
echo "test-deb-install: working in $WORK (log $LOG)"

# --- the package -----------------------------------------------------------------------------
if [ -z "$DEB" ]; then
  echo "test-deb-install: building the package (deploy/build-deb.sh)"
  "$ROOT/deploy/build-deb.sh" --install-build-deps "$WORK/dist" >>"$LOG" 2>&1 || die "deploy/build-deb.sh failed"
  DEB=$(ls "$WORK"/dist/mugai_*.deb | head -1)
fi
[ -f "$DEB" ] || die "no package $DEB"
echo "test-deb-install: package $DEB"

# --- a fresh Debian 12 -----------------------------------------------------------------------
# The mirror apt uses here (deb822 .sources or a sources.list line).
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/* *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
security=$(sed -n 's/^URIs: *\([^ ]*debian-security\)\/* *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
security=${security:-http://security.debian.org/debian-security}
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >>"$LOG" 2>&1 ||
    die "cannot install debootstrap"
}
echo "test-deb-install: debootstrap bookworm from $mirror (minutes)"
if [ -n "$TARBALL" ]; then
  debootstrap --variant=minbase --unpack-tarball="$TARBALL" bookworm "$CH" "$mirror" >>"$LOG" 2>&1 ||
    die "debootstrap (from $TARBALL) failed"
else
  debootstrap --variant=minbase bookworm "$CH" "$mirror" >>"$LOG" 2>&1 || die "debootstrap failed"
fi
cat >"$CH/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp /etc/resolv.conf "$CH/etc/resolv.conf"
# As in any chroot: packages must not start services (the test starts what it needs).
printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
chmod 755 "$CH/usr/sbin/policy-rc.d"
mount -t proc proc "$CH/proc"
mount --bind /dev "$CH/dev"
mount --bind /dev/pts "$CH/dev/pts"
in_ch() { chroot "$CH" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# --- install with apt, the documented way ------------------------------------------------------
cp "$DEB" "$CH/tmp/"
debname=$(basename "$DEB")
echo "postfix postfix/main_mailer_type select Local only" | in_ch debconf-set-selections
echo "postfix postfix/mailname string gateway.example" | in_ch debconf-set-selections
# What an installed Debian 12 has and a minbase chroot lacks: systemd (the init the unit is
# for) and man-db.
echo "test-deb-install: apt-get install systemd man-db, then ./$debname in the chroot (minutes)"
in_ch sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd man-db" >>"$LOG" 2>&1 ||
  die "apt-get install systemd man-db failed"
in_ch sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/$debname" >>"$LOG" 2>&1 ||
  die "apt-get install of the package failed"
check "apt installed mugai with its dependencies and Recommends (postfix)" \
  in_ch sh -c 'dpkg-query -W -f="\${Status}\n" mugai postfix | grep -vc "install ok installed" | grep -qx 0'

check "the mugai system user and group exist" \
  in_ch sh -c 'getent passwd mugai | grep -q "^mugai:x:[0-9]*:[0-9]*:.*:/var/spool/mugai:/usr/sbin/nologin$" && getent group mugai'
check "/etc/mugai/mugai.conf is installed as a conffile" \
  in_ch sh -c 'test -f /etc/mugai/mugai.conf && dpkg-query -W -f="\${Conffiles}\n" mugai | grep -q " /etc/mugai/mugai.conf "'
check "/var/spool/mugai (0750) and its quarantine (2770) belong to mugai" \
  in_ch sh -c 'test "$(stat -c "%a %U %G" /var/spool/mugai)" = "750 mugai mugai" &&
               test "$(stat -c "%a %U %G" /var/spool/mugai/quarantine)" = "2770 mugai mugai"'
check "mugai-convert is where the programs look for it (/usr/libexec/mugai)" \
  test -x "$CH/usr/libexec/mugai/mugai-convert"
check "the man pages mugai(8), mugai-milter(8), mugai.conf(5) are installed" \
  sh -c "test -f '$CH/usr/share/man/man8/mugai.8.gz' && test -f '$CH/usr/share/man/man8/mugai-milter.8.gz' && test -f '$CH/usr/share/man/man5/mugai.conf.5.gz'"
check "the units are installed and enabled (multi-user.target, timers.target)" \
  sh -c "test -f '$CH/lib/systemd/system/mugai-milter.service' &&
         test -L '$CH/etc/systemd/system/multi-user.target.wants/mugai-milter.service' &&
         test -L '$CH/etc/systemd/system/timers.target.wants/mugai-quarantine-purge.timer'"
check "mugai config check passes on the installed /etc/mugai/mugai.conf (as root)" \
  in_ch mugai config check -c /etc/mugai/mugai.conf
check "mugai config check passes as the mugai user" \
  in_ch setpriv --reuid=mugai --regid=mugai --init-groups mugai config check -c /etc/mugai/mugai.conf

UNIT="$CH/lib/systemd/system/mugai-milter.service"
check "systemd-analyze verify accepts the installed units" \
  in_ch systemd-analyze verify /lib/systemd/system/mugai-milter.service \
    /lib/systemd/system/mugai-quarantine-purge.service /lib/systemd/system/mugai-quarantine-purge.timer
in_ch systemd-analyze security --offline=yes /lib/systemd/system/mugai-milter.service >"$WORK/security.txt" 2>&1 || true
echo "test-deb-install: systemd-analyze security: $(grep 'Overall exposure' "$WORK/security.txt")"
check "man finds mugai(8), mugai-milter(8) and mugai.conf(5)" \
  in_ch sh -c 'man -w mugai.8 && man -w mugai-milter.8 && man -w mugai.conf.5'

# --- configure as install-debian.md says -------------------------------------------------------
# The test's stand-in for freshclam: the test signatures; the Unix socket inside Postfix's chroot.
mkdir -p "$CH/var/lib/mugai-test-signatures"
python3 -c "import sys; sys.path.insert(0, '$ROOT/tests'); import scan_db; scan_db.make_database('$CH/var/lib/mugai-test-signatures')"
chmod -R a+rX "$CH/var/lib/mugai-test-signatures"
in_ch install -d -o mugai -g postfix -m 2750 /var/spool/postfix/mugai
sed -i -e 's|^socket = .*|socket = unix:/var/spool/postfix/mugai/mugai.sock|' \
       -e 's|^database_dir = .*|database_dir = /var/lib/mugai-test-signatures|' "$CH/etc/mugai/mugai.conf"
check "mugai config check passes on the edited file (socket, signatures)" \
  in_ch mugai config check -c /etc/mugai/mugai.conf
check "mugai scan-info loads the test signatures" in_ch mugai scan-info -c /etc/mugai/mugai.conf

if [ -z "$PORT" ]; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
useradd_out=$(in_ch useradd -m sink 2>&1) || die "useradd sink: $useradd_out"
in_ch postconf -e \
  "inet_interfaces = loopback-only" "inet_protocols = ipv4" \
  "mydestination = gateway.example, localhost" "myhostname = gateway.example" \
  "home_mailbox = Maildir/" "maillog_file = /var/log/postfix.log" \
  "smtpd_milters = unix:/mugai/mugai.sock" "milter_default_action = tempfail" "milter_protocol = 6" \
  "milter_connect_timeout = 30s" "milter_command_timeout = 60s" "milter_content_timeout = 300s" \
  "message_size_limit = 67108864"
# smtpd on a free loopback port instead of 25 (this machine's own services keep theirs), chrooted
# as Debian's smtp service is.
in_ch postconf -M# smtp/inet
in_ch postconf -Me "127.0.0.1:$PORT/inet = 127.0.0.1:$PORT inet n - y - - smtpd"
check "postfix check accepts the configuration" in_ch postfix check

# --- start mugai-milter as its unit does ---------------------------------------------------------
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }
user=$(unit_value User); group=$(unit_value Group); umask_=$(unit_value UMask)
pre=$(unit_value ExecStartPre); start=$(unit_value ExecStart)
rw=$(unit_value ReadWritePaths); rundir=$(unit_value RuntimeDirectory)
[ -n "$start" ] && [ -n "$user" ] || die "cannot read User= and ExecStart= from $UNIT"
echo "test-deb-install: unit: User=$user Group=$group UMask=$umask_ ReadWritePaths=$rw RuntimeDirectory=$rundir"
echo "test-deb-install: ExecStartPre=$pre"
echo "test-deb-install: ExecStart=$start"
grep -qx 'NoNewPrivileges=yes' "$UNIT" || die "the unit has no NoNewPrivileges=yes"
grep -qx 'ProtectSystem=strict' "$UNIT" || die "the unit has no ProtectSystem=strict"
run_as=(setpriv "--reuid=$user" "--regid=$group" --init-groups --no-new-privs --inh-caps=-all)
check "ExecStartPre ($pre) passes as $user" in_ch "${run_as[@]}" $pre
# The namespace: the chroot read-only (ProtectSystem=strict) but ReadWritePaths= ("-": only when
# it exists) and /run/$rundir; a private /tmp, /var/tmp and /dev/shm; /home and /root empty and
# closed (ProtectHome=yes).
ns_script=$WORK/milter-ns.sh
in_ch install -d -o "$user" -g "$group" -m 0755 "/run/$rundir"
{
  echo "set -e"
  echo "mount --make-rprivate /"
  echo "mount --bind '$CH' '$CH'"
  for p in $rw; do
    p=${p#-}
    [ -e "$CH$p" ] && echo "mount --bind '$CH$p' '$CH$p'"
  done
  echo "mount --bind '$CH/run/$rundir' '$CH/run/$rundir'"
  echo "mount -o remount,bind,ro '$CH'"
  echo "mount -t proc proc '$CH/proc'"
  echo "mount --bind /dev '$CH/dev'"
  echo "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs '$CH/dev/shm'"
  echo "mount -t tmpfs -o mode=1777 tmpfs '$CH/tmp'"
  echo "mount -t tmpfs -o mode=1777 tmpfs '$CH/var/tmp'"
  echo "mount -t tmpfs -o ro,mode=000 tmpfs '$CH/home'"
  echo "mount -t tmpfs -o ro,mode=000 tmpfs '$CH/root'"
  echo "umask $umask_"
  echo "exec chroot '$CH' /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 ${run_as[*]} $start"
} >"$ns_script"
unshare --mount --propagation private sh "$ns_script" >"$WORK/milter.log" 2>&1 &
MILTER_PID=$!
for _ in $(seq 1 100); do
  [ -S "$CH/var/spool/postfix/mugai/mugai.sock" ] && break
  kill -0 "$MILTER_PID" 2>/dev/null || break
  sleep 0.2
done
check "mugai-milter is listening on unix:/var/spool/postfix/mugai/mugai.sock" \
  test -S "$CH/var/spool/postfix/mugai/mugai.sock"
socket_mode() {  # names as the chroot's passwd and group files give them
  local got
  got=$(in_ch stat -c '%U %G %A' /var/spool/postfix/mugai/mugai.sock)
  echo "socket: $got"
  test "$got" = "$user postfix srw-rw----"
}
check "the socket belongs to $user and group postfix, mode 0660: Postfix connects, nobody else" socket_mode
runs_confined() {  # MILTER_PID is mugai-milter itself: unshare, sh, chroot, env, setpriv exec it
  test "$(stat -c %u "/proc/$MILTER_PID")" = "$(in_ch id -u "$user")" &&
    grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$MILTER_PID/status" &&
    case "$(readlink "/proc/$MILTER_PID/exe")" in */usr/sbin/mugai-milter) true ;; *) false ;; esac
}
check "the milter runs as $user with NoNewPrivs" runs_confined

# --- Postfix, then the two mails ---------------------------------------------------------------
[ -x "$CH/usr/lib/postfix/configure-instance.sh" ] && in_ch /usr/lib/postfix/configure-instance.sh - >>"$LOG" 2>&1
check "postfix starts in the chroot" in_ch postfix start
for _ in $(seq 1 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" 2>/dev/null && break
  sleep 0.2
done

cat >"$WORK/send.py" <<'EOF'
import smtplib, sys
sys.path.insert(0, sys.argv[3])
import scan_db
port, kind = int(sys.argv[1]), sys.argv[2]
html = ("<html><body><h1>Newsletter</h1><p>Hello <b>world</b>, see "
        "<a href=\"https://example.com/x\">the site</a>.</p><script>alert(1)</script></body></html>")
if kind == "csv":
    body = ("From: shop@example.com\r\nTo: sink@gateway.example\r\nSubject: csv test\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain\r\n\r\nthe order\r\n--b\r\n"
            "Content-Type: text/csv; name=order.csv\r\n"
            "Content-Disposition: attachment; filename=order.csv\r\n\r\n"
            "name,qty\r\napple,3\r\npear,5\r\n--b--\r\n")
elif kind == "html":
    body = ("From: news@example.com\r\nTo: sink@gateway.example\r\nSubject: html test\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n")
else:
    body = ("From: bad@example.com\r\nTo: sink@gateway.example\r\nSubject: eicar test\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
            "Content-Type: application/octet-stream; name=eicar.com\r\n"
            "Content-Disposition: attachment; filename=eicar.com\r\n\r\n"
            + scan_db.EICAR.decode() + "\r\n--b--\r\n")
with smtplib.SMTP("127.0.0.1", port, timeout=120) as s:
    s.ehlo("client.example.com")
    try:
        s.sendmail(f"sender@example.com", ["sink@gateway.example"], body.encode())
        print("accepted")
    except smtplib.SMTPDataError as e:
        print(e.smtp_code, e.smtp_error.decode(errors="replace"))
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e.recipients)
EOF
html_reply=$(python3 "$WORK/send.py" "$PORT" html "$ROOT/tests" 2>&1) || true
echo "test-deb-install: HTML mail: $html_reply"
check "the HTML mail is accepted" test "$html_reply" = accepted
delivered=
for _ in $(seq 1 100); do
  delivered=$(ls "$CH"/home/sink/Maildir/new/* 2>/dev/null | head -1) || true
  [ -n "$delivered" ] && break
  sleep 0.2
done
check "the HTML mail is delivered to the sink's Maildir" test -n "$delivered"
cat >"$WORK/check_delivered.py" <<'EOF'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
text = msg.get_content() if not msg.is_multipart() else ""
problems = []
if msg.is_multipart() or msg.get_content_type() != "text/plain":
    problems.append(f"not one text/plain part: {msg.get_content_type()}")
for want in ("Hello world", "https://example.com/x"):
    if want not in text:
        problems.append(f"the text lacks {want!r}")
for bad in ("<script", "alert(1)", "<b>", "<html"):
    if bad in text:
        problems.append(f"the text still holds {bad!r}")
if "html2text" not in str(msg.get("X-Mugai-Actions", "")):
    problems.append(f"X-Mugai-Actions: {msg.get('X-Mugai-Actions')!r}, no html2text")
print("\n".join(problems) or "ok: " + " / ".join(text.split("\n")[-4:]).strip())
sys.exit(1 if problems else 0)
EOF
if [ -n "$delivered" ]; then
  cp "$delivered" "$WORK/delivered.eml"
  echo "test-deb-install: delivered: $(python3 "$WORK/check_delivered.py" "$WORK/delivered.eml" 2>&1 | tr '\n' ' ')"
  check "it arrives as one text/plain part, its HTML rendered as text (X-Mugai-Actions: html2text)" \
    python3 "$WORK/check_delivered.py" "$WORK/delivered.eml"
fi
eicar_reply=$(python3 "$WORK/send.py" "$PORT" eicar "$ROOT/tests" 2>&1) || true
echo "test-deb-install: EICAR mail: $eicar_reply"
refused_virus() { grep -q '^550 5.7.1 Virus found: Eicar' <<<"$eicar_reply"; }
check "the EICAR mail is refused 550 5.7.1 Virus found" refused_virus
quarantined() {
  in_ch mugai quarantine list -c /etc/mugai/mugai.conf --virus >"$WORK/quarantine.txt" &&
    cat "$WORK/quarantine.txt" && grep -q 'eicar test' "$WORK/quarantine.txt"
}
check "the quarantine kept the EICAR original" quarantined
only_one() { test "$(ls "$CH"/home/sink/Maildir/new | wc -l)" -eq 1; }
check "nothing else reached the sink" only_one
check "the milter logged one line per message (queue ID, verdict)" \
  sh -c "grep -q 'verdict=deliver' '$WORK/milter.log' && grep -q 'verdict=reject' '$WORK/milter.log'"
{
  echo "---- mugai-milter (stderr) ----"; cat "$WORK/milter.log"
  echo "---- postfix log ----"; cat "$CH/var/log/postfix.log" 2>/dev/null
} >>"$LOG"

# --- part 2: boot it, systemd runs the unit -----------------------------------------------------
boot_part() {
if [ "$BOOT" = no ]; then
  echo "test-deb-install: part 2 (systemd-nspawn boot) skipped: --no-boot"
  return 0
fi
command -v systemd-nspawn >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-container >>"$LOG" 2>&1 || true
}
if ! command -v systemd-nspawn >/dev/null; then
  echo "test-deb-install: part 2 skipped: no systemd-nspawn (apt-get install systemd-container failed)"
  results+=("SKIP  part 2: no systemd-nspawn")
  return 0
fi
# Hand the tree over: stop what part 1 started, unmount, let services start at boot.
kill "$MILTER_PID" 2>/dev/null; wait "$MILTER_PID" 2>/dev/null || true
MILTER_PID=
in_ch postfix stop >>"$LOG" 2>&1 || true
for m in "$CH/dev/pts" "$CH/dev" "$CH/proc"; do
  mountpoint -q "$m" && umount "$m"
done
rm -f "$CH/usr/sbin/policy-rc.d"
machine="mugai-debtest-$$"
echo "test-deb-install: booting the chroot with systemd-nspawn (machine $machine, private network)"
# --register=no --keep-unit: no machined or host systemd needed.
systemd-nspawn -D "$CH" -b --register=no --keep-unit --private-network --machine="$machine" \
  </dev/null >"$WORK/boot.log" 2>&1 &
NSPAWN_PID=$!
INIT=
for _ in $(seq 1 100); do
  INIT=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
  [ -n "$INIT" ] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$INIT" ]; then
  echo "test-deb-install: part 2 skipped: the container did not boot here ($(tail -1 "$WORK/boot.log"))"
  results+=("SKIP  part 2: systemd-nspawn could not boot the chroot (see $WORK/boot.log)")
  return 0
fi
in_box() { nsenter -t "$INIT" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
for _ in $(seq 1 300); do  # systemd's own socket exists once it can answer systemctl
  in_box test -S /run/systemd/private 2>/dev/null && break
  sleep 0.2
done
state=$(timeout 120 nsenter -t "$INIT" -a systemctl is-system-running --wait 2>/dev/null || true)
echo "test-deb-install: container up, systemd says: $state"
check "[boot] mugai-milter.service is enabled and active under systemd" \
  sh -c "test \"\$(nsenter -t $INIT -a systemctl is-enabled mugai-milter)\" = enabled &&
         test \"\$(nsenter -t $INIT -a systemctl is-active mugai-milter)\" = active"
check "[boot] its ExecStartPre (mugai config check) ran and passed" \
  sh -c "nsenter -t $INIT -a journalctl -b -u mugai-milter --no-pager | grep -q '/etc/mugai/mugai.conf: valid, sha256'"
confined_by_systemd() {
  local pid
  pid=$(in_box systemctl show -P MainPID mugai-milter)
  # its host pid: the process whose NSpid line ends with that pid inside a second namespace
  pid=$(grep -El "^NSpid:[[:space:]]+[0-9]+[[:space:]]+$pid\$" /proc/[0-9]*/status 2>/dev/null | head -1 | cut -d/ -f3)
  [ -n "$pid" ] || return 1
  grep -E '^(Uid|NoNewPrivs|CapEff|Seccomp):' "/proc/$pid/status"
  test "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$(in_ch id -u "$user")" &&
    grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" &&
    grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$pid/status"
}
check "[boot] it runs as $user, no new privileges, no capabilities" confined_by_systemd
check "[boot] postfix is active" sh -c "test \"\$(nsenter -t $INIT -a systemctl is-active postfix@-)\" = active"
check "[boot] mugai-quarantine-purge.timer is active" \
  sh -c "test \"\$(nsenter -t $INIT -a systemctl is-active mugai-quarantine-purge.timer)\" = active"
for _ in $(seq 1 50); do
  nsenter -t "$INIT" -n python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" 2>/dev/null && break
  sleep 0.2
done
before=$(ls "$CH"/home/sink/Maildir/new | wc -l)
newest_after() {  # the newest message once more than $1 are there
  for _ in $(seq 1 100); do
    if [ "$(ls "$CH"/home/sink/Maildir/new | wc -l)" -gt "$1" ]; then
      ls -t "$CH"/home/sink/Maildir/new/* | head -1
      return 0
    fi
    sleep 0.2
  done
  return 1
}
boot_html=$(nsenter -t "$INIT" -n python3 "$WORK/send.py" "$PORT" html "$ROOT/tests" 2>&1) || true
echo "test-deb-install: [boot] HTML mail: $boot_html"
msg=$(newest_after "$before") || msg=
check "[boot] the HTML mail arrives as one text/plain part" \
  sh -c "test -n '$msg' && python3 '$WORK/check_delivered.py' '$msg'"
boot_eicar=$(nsenter -t "$INIT" -n python3 "$WORK/send.py" "$PORT" eicar "$ROOT/tests" 2>&1) || true
echo "test-deb-install: [boot] EICAR mail: $boot_eicar"
boot_refused() { grep -q '^550 5.7.1 Virus found: Eicar' <<<"$boot_eicar"; }
check "[boot] the EICAR mail is refused 550 5.7.1 Virus found" boot_refused
before=$(ls "$CH"/home/sink/Maildir/new | wc -l)
boot_csv=$(nsenter -t "$INIT" -n python3 "$WORK/send.py" "$PORT" csv "$ROOT/tests" 2>&1) || true
echo "test-deb-install: [boot] CSV mail: $boot_csv"
msg=$(newest_after "$before") || msg=
converted() {  # mugai-convert ran inside the unit's sandbox: the CSV's text below the body
  [ -n "$msg" ] && python3 - "$msg" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
text = m.get_content()
print(m["X-Mugai-Actions"])
sys.exit(0 if "text_extracted" in str(m["X-Mugai-Actions"]) and "apple,3" in text else 1)
EOF
}
check "[boot] a CSV attachment is converted to text by mugai-convert under the unit" converted
reloaded() {  # (the journal read whole first: grep -q would cut the pipe, and pipefail is on)
  in_box systemctl reload mugai-milter || return 1
  local journal
  for _ in $(seq 1 25); do
    journal=$(in_box journalctl -b -u mugai-milter --no-pager)
    grep -q 'SIGHUP: reloading' <<<"$journal" && break
    sleep 0.2
  done
  grep 'SIGHUP: reloading\|reload: configuration' <<<"$journal" | head -2
  grep -q 'SIGHUP: reloading' <<<"$journal" && test "$(in_box systemctl is-active mugai-milter)" = active
}
check "[boot] systemctl reload mugai-milter (check, then SIGHUP) keeps it active" reloaded
check "[boot] mugai-quarantine-purge.service runs as mugai and succeeds" \
  in_box systemctl start mugai-quarantine-purge.service
{
  echo "---- [boot] journal of the mugai units ----"
  in_box journalctl -b -u mugai-milter -u mugai-quarantine-purge --no-pager
} >>"$LOG" 2>&1 || true
}

stop_container() {
  [ -n "$NSPAWN_PID" ] || return 0
  kill -TERM "$NSPAWN_PID" 2>/dev/null || true  # systemd-nspawn shuts the container down
  for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  wait "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID=
}

# --- part 3: remove, then purge ------------------------------------------------------------------
purge_part() {
  stop_container
  if [ -n "$MILTER_PID" ]; then
    kill "$MILTER_PID" 2>/dev/null || true
    wait "$MILTER_PID" 2>/dev/null || true
  fi
  MILTER_PID=
  mountpoint -q "$CH/proc" || mount -t proc proc "$CH/proc"
  mountpoint -q "$CH/dev" || mount --bind /dev "$CH/dev"
  mountpoint -q "$CH/dev/pts" || mount --bind /dev/pts "$CH/dev/pts"
  printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
  chmod 755 "$CH/usr/sbin/policy-rc.d"
  in_ch postfix stop >>"$LOG" 2>&1 || true
  check "[purge] apt-get purge mugai succeeds" \
    in_ch sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mugai'
  check "[purge] /etc/mugai and the unit links are gone, the mugai user stays" \
    sh -c "test ! -e '$CH/etc/mugai' && test ! -e '$CH/lib/systemd/system/mugai-milter.service' &&
           test ! -L '$CH/etc/systemd/system/multi-user.target.wants/mugai-milter.service' &&
           chroot '$CH' getent passwd mugai"
  check "[purge] the quarantine (it holds originals) is kept, the rest of /var/spool/mugai removed" \
    sh -c "test -f '$CH/var/spool/mugai/quarantine/index.sqlite' && test \"\$(ls -A '$CH/var/spool/mugai')\" = quarantine"
}

boot_part
purge_part
