#!/usr/bin/env bash
# postfix-lab.sh - run a PRIVATE, loopback-only Postfix instance plus an
# smtp-sink "final destination" for the mugai demo and end-to-end tests.
#
# Usage:
#   postfix-lab.sh start STATE_DIR [--milter SOCKET] [--port 2525] [--sink-port 2526]
#                        [--release-port PORT]
#   postfix-lab.sh stop STATE_DIR
#   postfix-lab.sh status STATE_DIR
#   postfix-lab.sh wait-delivered STATE_DIR N [TIMEOUT_S]
#   postfix-lab.sh flush STATE_DIR
#   postfix-lab.sh message SINK_FILE
#
# Mail flow:
#   client --SMTP--> 127.0.0.1:PORT (smtpd [+ smtpd_milters = SOCKET])
#          --> queue --> smtp client --> relayhost [127.0.0.1]:SINK_PORT
#          --> smtp-sink, which writes one file per message into STATE_DIR/sink/
#   mugai quarantine release --SMTP--> 127.0.0.1:RELEASE_PORT (smtpd without milters, only with
#          --release-port; deploy/postfix-master.cf.snippet) --> the same queue and sink
#
# Layout (everything lives under STATE_DIR; nothing else is written):
#   STATE_DIR/etc/            config_directory (main.cf, master.cf)
#   STATE_DIR/spool/          queue_directory (master pid: spool/pid/master.pid)
#   STATE_DIR/data/           data_directory
#   STATE_DIR/sink/           smtp-sink dump files, one per delivered message
#   STATE_DIR/log/postfix.log Postfix log (maillog_file via postlogd, no syslog)
#   STATE_DIR/log/smtp-sink.log  smtp-sink's own diagnostics
#   STATE_DIR/run/smtp-sink.pid  pid of the sink
#   STATE_DIR/run/lab.env        the settings this instance was started with
#
# Sink file format (smtp-sink -d, see smtp-sink(1) "DUMP FILE FORMAT"):
#   X-Client-Addr: 127.0.0.1
#   X-Client-Proto: ESMTP
#   X-Helo-Args: mugai-lab.localdomain        (only if HELO/EHLO was sent)
#   X-Mail-Args: <sender> [ESMTP params]      (exactly once)
#   X-Rcpt-Args: <recipient> [params]         (once per recipient)
#   Received: from HELO ([127.0.0.1])         (3-line header added by smtp-sink)
#   	by mugai-sink (smtp-sink) with ESMTP id 1a2b3c4d;
#   	Sat, 23 Nov 2024 19:30:00 +0000 (UTC)
#   <the message exactly as delivered by Postfix: headers + body>
#   <one extra empty line>
# smtp-sink converts CRLF to LF (it drops EVERY CR byte, including bare CRs
# inside the content) and undoes SMTP dot-stuffing.  The file is created with
# its final name at MAIL FROM time and filled while the transaction runs, so
# use "wait-delivered" before reading files.  "message FILE" prints only the
# delivered message (headers + body, LF line endings) without the smtp-sink
# prefix lines and without the trailing extra empty line.
#
# System files: NONE are modified.  The private instance is addressed with
# "postfix -c STATE_DIR/etc", which exports MAIL_CONFIG to every Postfix
# program it runs.  Postfix only insists that a non-default config directory
# be listed in alternate_config_directories of the DEFAULT main.cf when the
# caller is not root; every command here runs as root (and the script refuses
# to run otherwise), so /etc/postfix/main.cf may be the Debian stub, the
# "No configuration" debconf choice, or missing altogether, and the system
# Postfix may be stopped.  (Consequence: non-root users cannot use
# "sendmail -C STATE_DIR/etc" / "postqueue -c STATE_DIR/etc" against the lab
# instance; inject mail over SMTP instead.)
set -euo pipefail

readonly PROG="${0##*/}"
readonly DEFAULT_PORT=2525
readonly DEFAULT_SINK_PORT=2526
readonly DEFAULT_WAIT_TIMEOUT=60
readonly START_TIMEOUT=30
readonly STOP_TIMEOUT=20
readonly MAIL_USER=postfix
readonly SYSLOG_NAME=postfix-mugai-lab
readonly LAB_HOSTNAME=mugai-lab.localdomain
readonly SINK_HOSTNAME=mugai-sink

POSTFIX_BIN=/usr/sbin/postfix
POSTQUEUE_BIN=/usr/sbin/postqueue
SMTP_SINK_BIN=/usr/sbin/smtp-sink

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat >&2 <<EOF
usage: $PROG start STATE_DIR [--milter SOCKET] [--port PORT] [--sink-port PORT] [--release-port PORT]
       $PROG stop STATE_DIR
       $PROG status STATE_DIR
       $PROG wait-delivered STATE_DIR N [TIMEOUT_S]
       $PROG flush STATE_DIR
       $PROG message SINK_FILE

Runs a private Postfix instance (smtpd on 127.0.0.1:PORT, default $DEFAULT_PORT)
that relays every message to an smtp-sink on 127.0.0.1:SINK_PORT (default
$DEFAULT_SINK_PORT), which stores each message as a file in STATE_DIR/sink/.
EOF
    exit 2
}

# ---------------------------------------------------------------------------
# helpers

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (Postfix's master needs root)"
}

find_tools() {
    local t
    for t in POSTFIX_BIN POSTQUEUE_BIN SMTP_SINK_BIN; do
        if [[ ! -x ${!t} ]]; then
            local alt
            alt=$(command -v "${!t##*/}" 2>/dev/null || true)
            [[ -n $alt ]] || die "${!t##*/} not found (apt-get install postfix)"
            printf -v "$t" '%s' "$alt"
        fi
    done
}

# Set the global layout variables for STATE_DIR (made absolute).
# $2 = "create" to create STATE_DIR if needed.
set_layout() {
    local dir=$1 mode=${2:-}
    [[ -n $dir ]] || die "STATE_DIR must not be empty"
    if [[ $mode == create ]]; then
        mkdir -p -- "$dir" || die "cannot create $dir"
    fi
    [[ -d $dir ]] || die "no such state directory: $dir"
    STATE_DIR=$(cd -- "$dir" && pwd -P)
    # Postfix parameter values are whitespace/comma separated lists; keep
    # the path boring so it survives main.cf unquoted.
    [[ $STATE_DIR =~ ^/[A-Za-z0-9._+@/-]*$ ]] ||
        die "STATE_DIR path must only contain [A-Za-z0-9._+@/-]: $STATE_DIR"
    [[ $STATE_DIR != / ]] || die "refusing to use / as STATE_DIR"
    CONF_DIR=$STATE_DIR/etc
    QUEUE_DIR=$STATE_DIR/spool
    DATA_DIR=$STATE_DIR/data
    SINK_DIR=$STATE_DIR/sink
    LOG_DIR=$STATE_DIR/log
    RUN_DIR=$STATE_DIR/run
    POSTFIX_LOG=$LOG_DIR/postfix.log
    SINK_LOG=$LOG_DIR/smtp-sink.log
    SINK_PIDFILE=$RUN_DIR/smtp-sink.pid
    LAB_ENV=$RUN_DIR/lab.env
    MASTER_PIDFILE=$QUEUE_DIR/pid/master.pid
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

valid_port() {
    is_uint "$1" && (( 10#$1 >= 1 && 10#$1 <= 65535 ))
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    # shellcheck disable=SC2016  # $1 is expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# True if an SMTP server on 127.0.0.1:$1 sends a 220 greeting.
smtp_ready() {
    # shellcheck disable=SC2016  # $1/$line are expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 4 line <&3 || exit 1
        printf "QUIT\r\n" >&3 || true
        [[ $line == 220[\ -]* ]]' _ "$1" 2>/dev/null
}

# Print the first pid in file $1 if that process is alive.
alive_pid_from() {
    local f=$1 pid
    [[ -r $f ]] || return 1
    read -r pid _ <"$f" 2>/dev/null || return 1
    is_uint "$pid" || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

sink_pid() {
    local pid
    pid=$(alive_pid_from "$SINK_PIDFILE") || return 1
    # Guard against pid reuse: it must still be our smtp-sink.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$SINK_DIR/" ||
        return 1
    printf '%s\n' "$pid"
}

postfix_running() {
    [[ -f $CONF_DIR/main.cf ]] || return 1
    "$POSTFIX_BIN" -c "$CONF_DIR" status >/dev/null 2>&1
}

master_pid() { alive_pid_from "$MASTER_PIDFILE"; }

# Read a key from lab.env (KEY=VALUE lines written by us).
env_get() {
    local key=$1
    [[ -r $LAB_ENV ]] || return 1
    sed -n "s/^${key}=//p" "$LAB_ENV" | tail -n 1
}

count_sink_files() {
    find "$SINK_DIR" -mindepth 1 -maxdepth 1 -type f 2>/dev/null | wc -l
}

# Number of queue files in any Postfix queue (incl. hold).
count_queue_files() {
    local q n=0 c
    for q in maildrop incoming active deferred hold; do
        [[ -d $QUEUE_DIR/$q ]] || continue
        c=$(find "$QUEUE_DIR/$q" -type f 2>/dev/null | wc -l)
        n=$((n + c))
    done
    printf '%s\n' "$n"
}

# Translate a libmilter/sendmail style socket spec into Postfix syntax:
#   inet:PORT@HOST   -> inet:HOST:PORT      (e.g. inet:9999@127.0.0.1)
#   inet6:PORT@HOST  -> inet:[HOST]:PORT
#   local:/path, /path -> unix:/path
# Postfix-style values (inet:HOST:PORT, unix:/path) pass through unchanged.
postfix_milter_addr() {
    local m=$1
    if [[ $m =~ ^inet:([0-9]+)@(.+)$ ]]; then
        printf 'inet:%s:%s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
    elif [[ $m =~ ^inet6:([0-9]+)@\[?([^]]+)\]?$ ]]; then
        printf 'inet:[%s]:%s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
    elif [[ $m =~ ^local:(/.*)$ ]]; then
        printf 'unix:%s\n' "${BASH_REMATCH[1]}"
    elif [[ $m == /* ]]; then
        printf 'unix:%s\n' "$m"
    else
        printf '%s\n' "$m"
    fi
}

# ---------------------------------------------------------------------------
# configuration

# write_main_cf PORT SINK_PORT MILTER OUTFILE
write_main_cf() {
    local port=$1 sink_port=$2 milter=$3 out=$4
    {
        cat <<EOF
# Generated by $PROG - private mugai lab instance. Do not edit; rewritten
# on every "$PROG start".
compatibility_level = 3.6

# --- where things live (all under $STATE_DIR)
queue_directory = $QUEUE_DIR
data_directory = $DATA_DIR
syslog_name = $SYSLOG_NAME
maillog_file = $POSTFIX_LOG
maillog_file_prefixes = $LOG_DIR

# --- identity
myhostname = $LAB_HOSTNAME
mydomain = localdomain
myorigin = \$myhostname
smtpd_banner = \$myhostname ESMTP mugai-lab
biff = no
append_dot_mydomain = no
# Treat the loopback client like a remote (internet) client: cleanup does
# not add missing Date:/Message-ID:/From:/To: headers nor rewrite header
# addresses, so the sink sees the message as the milter left it (plus
# Postfix's own Received: header).
local_header_rewrite_clients =

# --- network: loopback IPv4 only (smtpd port is set in master.cf)
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no

# --- nothing is delivered locally; everything is relayed to the sink
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in the mugai lab
alias_maps =
alias_database =
relay_domains =
relayhost = [127.0.0.1]:$sink_port
default_transport = smtp
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =

# --- sizes (tests send big mail)
message_size_limit = 104857600
mailbox_size_limit = 0
virtual_mailbox_limit = 0

# --- fast queue turnaround
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
delay_warning_time = 0h
smtp_connect_timeout = 10s
# Do not fold lines longer than 998 bytes on the way to the sink (Postfix's
# SMTP client default), so the sink shows the content exactly as it left
# the milter.
smtp_line_length_limit = 0

EOF
        if [[ -n $milter ]]; then
            cat <<EOF
# --- milter (mugai). Milter trouble => SMTP 4xx to the client; the
# message then stays with the client, it is not queued here.
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 120s
EOF
        else
            cat <<EOF
# --- no milter
smtpd_milters =
non_smtpd_milters =
EOF
        fi
    } >"$out"
}

write_master_cf() {
    local port=$1 release_port=${2:-}
    cat >"$CONF_DIR/master.cf.new" <<EOF
# Generated by $PROG - private mugai lab instance. No chroot anywhere.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port inet n  -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    if [[ -n $release_port ]]; then # what mugai quarantine release re-injects through
        cat >>"$CONF_DIR/master.cf.new" <<EOF
127.0.0.1:$release_port inet n -       n       -       -       smtpd
  -o smtpd_milters=
  -o receive_override_options=no_milters
EOF
    fi
    mv -f -- "$CONF_DIR/master.cf.new" "$CONF_DIR/master.cf"
}

# ---------------------------------------------------------------------------
# sink

start_sink() {
    local sink_port=$1 pid
    mkdir -p -- "$SINK_DIR"
    chown "$MAIL_USER:" "$SINK_DIR"
    chmod 0755 "$SINK_DIR"
    # smtp-sink must drop root (-u); the dump dir is owned by that user.
    # -d: one file per transaction, name = strftime(template) + random hex.
    setsid "$SMTP_SINK_BIN" -4 -u "$MAIL_USER" -h "$SINK_HOSTNAME" \
        -d "$SINK_DIR/%Y%m%d-%H%M%S." \
        "127.0.0.1:$sink_port" 256 \
        </dev/null >>"$SINK_LOG" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$SINK_PIDFILE"
}

stop_sink() {
    local pid i
    if ! pid=$(sink_pid); then
        rm -f -- "$SINK_PIDFILE"
        return 0
    fi
    log "stopping smtp-sink (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "smtp-sink did not exit, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f -- "$SINK_PIDFILE"
}

# ---------------------------------------------------------------------------
# postfix

stop_postfix() {
    local pid i
    pid=$(master_pid) || pid=
    if postfix_running; then
        log "stopping Postfix (config $CONF_DIR${pid:+, master pid $pid})"
        "$POSTFIX_BIN" -c "$CONF_DIR" stop 2>&1 | sed "s/^/  /" >&2 || true
    fi
    if [[ -n $pid ]]; then
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "Postfix master $pid still alive after ${STOP_TIMEOUT}s, killing its process group"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

# ---------------------------------------------------------------------------
# commands

cmd_start() {
    local dir=${1:-}
    [[ -n $dir ]] || usage
    shift
    local milter='' port=$DEFAULT_PORT sink_port=$DEFAULT_SINK_PORT release_port=
    while (($#)); do
        case $1 in
        --milter) milter=${2:?--milter needs a value}; shift 2 ;;
        --milter=*) milter=${1#*=}; shift ;;
        --port) port=${2:?--port needs a value}; shift 2 ;;
        --port=*) port=${1#*=}; shift ;;
        --sink-port) sink_port=${2:?--sink-port needs a value}; shift 2 ;;
        --sink-port=*) sink_port=${1#*=}; shift ;;
        --release-port) release_port=${2:?--release-port needs a value}; shift 2 ;;
        --release-port=*) release_port=${1#*=}; shift ;;
        -h | --help) usage ;;
        *) die "unknown start option: $1" ;;
        esac
    done
    valid_port "$port" || die "bad --port: $port"
    valid_port "$sink_port" || die "bad --sink-port: $sink_port"
    port=$((10#$port)) sink_port=$((10#$sink_port))
    if [[ -n $release_port ]]; then
        valid_port "$release_port" || die "bad --release-port: $release_port"
        release_port=$((10#$release_port))
    fi
    ((port != sink_port)) || die "--port and --sink-port must differ"
    if [[ -n $milter ]]; then
        [[ $milter =~ ^[][A-Za-z0-9._:@/+-]+$ ]] ||
            die "bad --milter value (expected e.g. inet:9999@127.0.0.1 or unix:/path): $milter"
        milter=$(postfix_milter_addr "$milter")
    fi

    need_root
    find_tools
    set_layout "$dir" create

    local wanted
    wanted=$(printf 'PORT=%s\nSINK_PORT=%s\nMILTER=%s\nRELEASE_PORT=%s\n' "$port" "$sink_port" \
        "$milter" "$release_port")

    # Already running?  Same settings (and same generated main.cf, in case
    # this script changed) and healthy => nothing to do.
    local pf_up=0 sink_up=0 same=0
    postfix_running && pf_up=1
    sink_pid >/dev/null && sink_up=1
    if ((pf_up || sink_up)); then
        if [[ -r $LAB_ENV && $(cat "$LAB_ENV") == "$wanted" ]]; then
            write_main_cf "$port" "$sink_port" "$milter" "$RUN_DIR/main.cf.want"
            cmp -s "$RUN_DIR/main.cf.want" "$CONF_DIR/main.cf" && same=1
            rm -f -- "$RUN_DIR/main.cf.want"
        fi
        if ((pf_up && sink_up && same)) && smtp_ready "$port" && smtp_ready "$sink_port"; then
            log "already running with the same settings: smtpd 127.0.0.1:$port, sink 127.0.0.1:$sink_port${milter:+, milter $milter} (state $STATE_DIR)"
            return 0
        fi
        log "instance in $STATE_DIR is (partly) running with other settings or unhealthy; restarting"
        stop_sink
        stop_postfix
    fi

    # The ports must be free (another lab instance, or the system Postfix).
    local p
    for p in "$port" "$sink_port" $release_port; do
        if port_open "$p"; then
            die "127.0.0.1:$p is already in use by another process; pick another --port/--sink-port"
        fi
    done

    # Postfix's unprivileged daemons need to traverse STATE_DIR.
    chmod 0755 "$STATE_DIR"
    if ! runuser -u "$MAIL_USER" -- test -x "$STATE_DIR/."; then
        die "user $MAIL_USER cannot reach $STATE_DIR (a parent directory is not world-searchable)"
    fi
    mkdir -p -- "$CONF_DIR" "$QUEUE_DIR" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR" "$SINK_DIR"
    chown root:root "$CONF_DIR" "$QUEUE_DIR" "$LOG_DIR" "$RUN_DIR"
    chmod 0755 "$CONF_DIR" "$QUEUE_DIR" "$LOG_DIR" "$RUN_DIR"

    write_main_cf "$port" "$sink_port" "$milter" "$CONF_DIR/main.cf.new"
    mv -f -- "$CONF_DIR/main.cf.new" "$CONF_DIR/main.cf"
    write_master_cf "$port" "$release_port"
    printf '%s\n' "$wanted" >"$LAB_ENV"

    # Creates/fixes queue + data directories with Postfix's ownership
    # (postfix:postdrop etc.) and validates the configuration.
    if ! "$POSTFIX_BIN" -c "$CONF_DIR" set-permissions >>"$LOG_DIR/setup.log" 2>&1; then
        sed 's/^/  /' "$LOG_DIR/setup.log" >&2
        die "postfix set-permissions failed (see $LOG_DIR/setup.log)"
    fi
    if ! "$POSTFIX_BIN" -c "$CONF_DIR" check >>"$LOG_DIR/setup.log" 2>&1; then
        sed 's/^/  /' "$LOG_DIR/setup.log" >&2
        die "postfix check failed (see $LOG_DIR/setup.log)"
    fi

    log "starting smtp-sink on 127.0.0.1:$sink_port -> $SINK_DIR/"
    start_sink "$sink_port"

    local log_off
    log_off=$(stat -c %s -- "$POSTFIX_LOG" 2>/dev/null || echo 0)
    log "starting Postfix (config $CONF_DIR) smtpd on 127.0.0.1:$port${milter:+, milter $milter}"
    if ! "$POSTFIX_BIN" -c "$CONF_DIR" start >>"$LOG_DIR/setup.log" 2>&1; then
        tail -n 20 "$LOG_DIR/setup.log" | sed 's/^/  /' >&2
        [[ -f $POSTFIX_LOG ]] && tail -n 20 "$POSTFIX_LOG" | sed 's/^/  /' >&2
        stop_sink
        die "postfix start failed (see $LOG_DIR/setup.log and $POSTFIX_LOG)"
    fi

    # Wait until both listeners greet with 220.
    local deadline=$((SECONDS + START_TIMEOUT)) ok_sink=0 ok_smtpd=0
    while ((SECONDS < deadline)); do
        ((ok_sink)) || { smtp_ready "$sink_port" && ok_sink=1; }
        ((ok_smtpd)) || { smtp_ready "$port" && ok_smtpd=1; }
        ((ok_sink && ok_smtpd)) && break
        # A daemon that dies at startup makes master throttle; fail fast.
        if [[ -f $POSTFIX_LOG ]] &&
            tail -c +"$((log_off + 1))" -- "$POSTFIX_LOG" | grep -qE '(fatal|panic): '; then
            tail -c +"$((log_off + 1))" -- "$POSTFIX_LOG" | tail -n 20 | sed 's/^/  /' >&2
            stop_sink
            stop_postfix
            die "Postfix reported a fatal error during startup (see $POSTFIX_LOG)"
        fi
        if ! sink_pid >/dev/null; then
            sed 's/^/  /' "$SINK_LOG" >&2 || true
            stop_postfix
            die "smtp-sink exited during startup (see $SINK_LOG)"
        fi
        sleep 0.2
    done
    if ! ((ok_sink && ok_smtpd)); then
        ((ok_sink)) || log "smtp-sink on 127.0.0.1:$sink_port did not answer"
        ((ok_smtpd)) || log "smtpd on 127.0.0.1:$port did not answer"
        [[ -f $POSTFIX_LOG ]] && tail -n 20 "$POSTFIX_LOG" | sed 's/^/  /' >&2
        stop_sink
        stop_postfix
        die "lab instance did not become ready within ${START_TIMEOUT}s"
    fi

    log "ready: smtpd 127.0.0.1:$port -> relay [127.0.0.1]:$sink_port (smtp-sink, pid $(sink_pid || echo '?'))"
    log "  milter:   ${milter:-none}"
    log "  config:   $CONF_DIR   queue: $QUEUE_DIR"
    log "  sink dir: $SINK_DIR/"
    log "  logs:     $POSTFIX_LOG  $SINK_LOG"
}

cmd_stop() {
    local dir=${1:-}
    [[ -n $dir && $# -eq 1 ]] || usage
    need_root
    find_tools
    if [[ ! -d $dir ]]; then
        log "$dir does not exist; nothing to stop"
        return 0
    fi
    set_layout "$dir"
    stop_sink
    stop_postfix
    log "stopped (state kept in $STATE_DIR)"
}

cmd_status() {
    local dir=${1:-}
    [[ -n $dir && $# -eq 1 ]] || usage
    need_root
    find_tools
    [[ -d $dir ]] || die "no such state directory: $dir"
    set_layout "$dir"
    local port sink_port milter pf=stopped sink=stopped mpid='' spid='' rc
    port=$(env_get PORT) || port=
    sink_port=$(env_get SINK_PORT) || sink_port=
    milter=$(env_get MILTER) || milter=
    if postfix_running; then
        pf=running
        mpid=$(master_pid) || mpid=
    fi
    if spid=$(sink_pid); then sink=running; else spid=; fi
    cat <<EOF
state_dir=$STATE_DIR
postfix=$pf
master_pid=$mpid
smtpd=127.0.0.1:$port
milter=$milter
sink=$sink
sink_pid=$spid
sink_addr=127.0.0.1:$sink_port
sink_dir=$SINK_DIR
sink_files=$(count_sink_files)
queue_files=$(count_queue_files)
config_dir=$CONF_DIR
queue_dir=$QUEUE_DIR
postfix_log=$POSTFIX_LOG
sink_log=$SINK_LOG
EOF
    if [[ $pf == running && $sink == running ]]; then
        rc=0
    elif [[ $pf == stopped && $sink == stopped ]]; then
        rc=3
    else
        rc=1
    fi
    return "$rc"
}

cmd_wait_delivered() {
    local dir=${1:-} n=${2:-} timeout=${3:-$DEFAULT_WAIT_TIMEOUT}
    [[ -n $dir && -n $n && $# -le 3 ]] || usage
    is_uint "$n" || die "N must be a non-negative integer: $n"
    is_uint "$timeout" || die "TIMEOUT_S must be a non-negative integer: $timeout"
    need_root # the queue directories are only readable by postfix/root
    [[ -d $dir ]] || die "no such state directory: $dir"
    set_layout "$dir"
    local files queued deadline=$((SECONDS + 10#$timeout))
    while :; do
        files=$(count_sink_files)
        queued=$(count_queue_files)
        if ((files >= 10#$n && queued == 0)); then
            log "delivered: $files file(s) in $SINK_DIR/, queue empty"
            return 0
        fi
        if ((SECONDS >= deadline)); then
            break
        fi
        sleep 0.2
    done
    log "timeout after ${timeout}s: $files of $n expected file(s) in $SINK_DIR/, $queued message(s) still queued"
    if ((queued > 0)); then
        find_tools
        "$POSTQUEUE_BIN" -c "$CONF_DIR" -p 2>&1 | sed 's/^/  /' >&2 || true
    fi
    [[ -f $POSTFIX_LOG ]] && tail -n 15 "$POSTFIX_LOG" | sed 's/^/  /' >&2
    return 1
}

cmd_flush() {
    local dir=${1:-}
    [[ -n $dir && $# -eq 1 ]] || usage
    need_root
    find_tools
    [[ -d $dir ]] || die "no such state directory: $dir"
    set_layout "$dir"
    postfix_running || die "Postfix in $STATE_DIR is not running"
    "$POSTQUEUE_BIN" -c "$CONF_DIR" -f
    log "flushed queue of $STATE_DIR ($(count_queue_files) file(s) still queued)"
}

# Print the delivered message (headers + body) from an smtp-sink dump file:
# skip smtp-sink's X-Client-Addr/X-Client-Proto/X-Helo-Args/X-Mail-Args/
# X-Rcpt-Args lines and its 3-line "Received: ... (smtp-sink) ..." header,
# and drop the extra empty line smtp-sink appends.  Byte-exact otherwise.
cmd_message() {
    local file=${1:-}
    [[ -n $file && $# -eq 1 ]] || usage
    [[ -f $file && -r $file ]] || die "cannot read sink file: $file"
    local offset size last
    # Byte offset of the first message byte (LC_ALL=C: length() = bytes).
    offset=$(LC_ALL=C awk '
        BEGIN { off = 0; state = 0 }
        state == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): / {
            off += length($0) + 1; next
        }
        state == 0 && /^Received: / { off += length($0) + 1; state = 1; next }
        state == 1 && /^\tby .*\(smtp-sink\)/ { off += length($0) + 1; state = 2; next }
        state == 2 && /^\t/ { off += length($0) + 1; state = 3; exit }
        { exit }
        END {
            if (state != 3) { print "bad"; exit }
            print off
        }' "$file")
    [[ $offset =~ ^[0-9]+$ ]] || die "$file does not look like an smtp-sink -d dump file"
    size=$(stat -c %s -- "$file")
    ((size > offset)) || return 0
    last=$(tail -c 1 -- "$file" | od -An -c | tr -d ' ')
    if [[ $last == '\n' ]]; then
        tail -c +"$((offset + 1))" -- "$file" | head -c "$((size - offset - 1))"
    else
        tail -c +"$((offset + 1))" -- "$file"
    fi
}

main() {
    (($# >= 1)) || usage
    local cmd=$1
    shift
    case $cmd in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    wait-delivered) cmd_wait_delivered "$@" ;;
    flush) cmd_flush "$@" ;;
    message) cmd_message "$@" ;;
    -h | --help | help) usage ;;
    *) log "unknown command: $cmd"; usage ;;
    esac
}

main "$@"
