#!/usr/bin/env bash
# s3-server.sh - throw-away single-node Ceph cluster + RADOS Gateway (S3) on loopback, for the
# tests and benchmarks of newsarchive (started by benchmarks/support/s3server.py; adapted from
# the team's proven recipe). Extra commands for fault tests: rgw-stop / rgw-start stop and
# restart only the S3 gateway (the cluster and its data stay), like an S3 endpoint going away
# mid-run.
#
# Debian 12 (bookworm), Ceph 16.2.x (pacific) from Debian's own archive.
# No systemd, no Docker, no cephadm.  One mon, one mgr (optional), one OSD
# (memstore = RAM, or bluestore on a sparse file), one radosgw (beast frontend).
# Cluster-internal auth is disabled (auth=none); S3 requests are still
# SigV4-authenticated by RGW against the user created below.
#
# Usage:
#   start-s3.sh start     (default) idempotent: reuses a healthy running instance,
#                         otherwise wipes S3_DIR and builds a fresh cluster
#   start-s3.sh stop      stops only the daemons named in S3_DIR/run/*.pid, removes S3_DIR
#   start-s3.sh status    exit 0 and print "up URL" if the S3 endpoint answers
#   start-s3.sh env       print KEY=VALUE lines (endpoint, keys, dir)
#   s3-server.sh rgw-stop  stop the radosgw daemon only (S3 unreachable, data kept)
#   s3-server.sh rgw-start start radosgw again and wait until S3 answers
# start prints the same KEY=VALUE lines on stdout; all progress goes to stderr.
#
# Environment (all optional):
#   S3_DIR         data/run/log dir              (default ${TMPDIR:-/tmp}/ceph-s3-$RGW_PORT)
#   RGW_PORT       S3 HTTP port on 127.0.0.1     (default 7480)
#   RGW_SSL_PORT   also serve HTTPS (self-signed cert in S3_DIR/tls) on this port (default: off)
#   MON_PORT       mon msgr2 port                (default 3300; msgr1 is not bound)
#   OSD_PORT_MIN   start of port range for osd/mgr/rgw messengers (default 6800, uses +500)
#   S3_ACCESS_KEY / S3_SECRET_KEY                (test-only defaults below)
#   OSD_STORE      memstore (default, data in RAM) | bluestore (sparse 10G file in S3_DIR)
#   WITH_MGR       1 (default) | 0 = no ceph-mgr (~300 MB less RSS; S3 works without it)
#   INSTALL        1 = apt-get install the Debian packages if missing (root)
#   START_TIMEOUT  seconds to wait for the S3 endpoint (default 120)
#   FAST_STOP      1 = stop with SIGKILL at once (~1.5 s instead of ~5.5 s; the data is thrown away anyway)
set -Eeuo pipefail

CMD=${1:-start}
RGW_PORT=${RGW_PORT:-7480}
RGW_SSL_PORT=${RGW_SSL_PORT:-}
MON_PORT=${MON_PORT:-3300}
OSD_PORT_MIN=${OSD_PORT_MIN:-6800}
S3_DIR=${S3_DIR:-${TMPDIR:-/tmp}/ceph-s3-${RGW_PORT}}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-TESTACCESSKEY0000001}
S3_SECRET_KEY=${S3_SECRET_KEY:-testsecretkey00000000000000000000000001}
OSD_STORE=${OSD_STORE:-memstore}
WITH_MGR=${WITH_MGR:-1}
START_TIMEOUT=${START_TIMEOUT:-120}
ENDPOINT="http://127.0.0.1:${RGW_PORT}"
export CEPH_CONF="${S3_DIR}/ceph.conf"
CEPH="timeout 60 ceph --connect-timeout 30"      # never hang forever on a dead mon

T0=$(date +%s%N)
STARTING=0
log() { echo "[start-s3 +$(( ($(date +%s%N) - T0) / 1000000 ))ms] $*" >&2; }
die() {
    log "ERROR: $*"
    if [ "$STARTING" = 1 ]; then              # don't leak half-started daemons; keep the logs
        STARTING=0; stop_daemons; log "daemons stopped; logs kept in ${S3_DIR}/log"
    fi
    exit 1
}
trap 'die "command failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

print_env() {
    echo "S3_ENDPOINT_URL=${ENDPOINT}"
    [ -n "${RGW_SSL_PORT}" ] && echo "S3_ENDPOINT_URL_TLS=https://127.0.0.1:${RGW_SSL_PORT}" \
        && echo "S3_CA_BUNDLE=${S3_DIR}/tls/cert.pem"
    echo "AWS_ACCESS_KEY_ID=${S3_ACCESS_KEY}"
    echo "AWS_SECRET_ACCESS_KEY=${S3_SECRET_KEY}"
    echo "AWS_DEFAULT_REGION=us-east-1"
    echo "S3_DIR=${S3_DIR}"
}

# anonymous GET / on RGW answers 200 with an empty ListAllMyBucketsResult
endpoint_up() { curl -s -o /dev/null --max-time 2 -f "${ENDPOINT}/"; }
is_ready()    { [ -f "${S3_DIR}/.ready" ] && endpoint_up; }

ensure_packages() {
    local b missing=""
    for b in ceph-mon ceph-osd ceph-mgr radosgw radosgw-admin ceph monmaptool uuidgen curl \
             ${RGW_SSL_PORT:+openssl}; do
        command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
    done
    [ -z "$missing" ] && return 0
    [ "${INSTALL:-0}" = 1 ] || die "missing:$missing -- run: apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-mgr radosgw uuid-runtime curl openssl (or INSTALL=1 $0)"
    log "installing Debian Ceph packages (missing:$missing)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd ceph-mgr radosgw uuid-runtime curl openssl >/dev/null
}

# pid of one of our daemons, only if its pid file exists and the pid really is that ceph daemon
our_pid() {
    local pf="${S3_DIR}/run/$1.pid" pid cmd
    [ -f "$pf" ] || return 0
    pid=$(cat "$pf" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] || return 0
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
    case "$cmd" in
        ceph-mon*|ceph-osd*|ceph-mgr*|radosgw*) echo "$pid" ;;
        *) log "pid $pid in $pf is '$cmd', not ours: leaving it alone" ;;
    esac
}

# send SIG to the given pids, wait (bounded) until they are gone; echo the survivors
signal_and_wait() {
    local sig=$1 tenths=$2 p alive; shift 2
    [ $# -gt 0 ] || return 0
    kill "-$sig" "$@" 2>/dev/null || true
    for _ in $(seq 1 "$tenths"); do
        alive=""
        for p in "$@"; do [ -d "/proc/$p" ] && alive="$alive $p"; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    echo "$alive"
}

stop_daemons() {
    local group left
    if [ "${FAST_STOP:-0}" = 1 ] && [ -d "${S3_DIR}/run" ]; then
        # throw-away data: no graceful shutdown needed
        # shellcheck disable=SC2046
        signal_and_wait KILL 30 $(for n in client.rgw.s3 mgr.x osd.0 mon.a; do our_pid "$n"; done) >/dev/null
    elif [ -d "${S3_DIR}/run" ]; then
        # order matters: radosgw first (it hangs up to 120 s in shutdown if the OSD is already
        # gone), then mgr + osd, then the mon.  SIGKILL whatever is left after 5 s per step.
        for group in "client.rgw.s3" "mgr.x osd.0" "mon.a"; do
            # shellcheck disable=SC2046,SC2086
            left=$(signal_and_wait TERM 50 $(for n in $group; do our_pid "$n"; done))
            # shellcheck disable=SC2086
            [ -n "$left" ] && signal_and_wait KILL 30 $left >/dev/null
        done
    fi
    return 0
}

do_stop() {
    stop_daemons
    case "${S3_DIR}" in /|/tmp|/tmp/|/root|/home|"") die "refusing to rm -rf S3_DIR='${S3_DIR}'" ;; esac
    rm -rf "${S3_DIR}"
}

write_conf() {
    local fsid=$1 frontends osd_conf
    frontends="beast endpoint=127.0.0.1:${RGW_PORT}"
    if [ -n "${RGW_SSL_PORT}" ]; then
        frontends="$frontends ssl_endpoint=127.0.0.1:${RGW_SSL_PORT} ssl_certificate=${S3_DIR}/tls/cert.pem ssl_private_key=${S3_DIR}/tls/key.pem"
    fi
    if [ "${OSD_STORE}" = bluestore ]; then
        osd_conf="osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
osd memory target = 939524096"
    else
        osd_conf="osd objectstore = memstore
memstore device bytes = 4294967296"
    fi
    cat > "${CEPH_CONF}" <<EOF
[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${MON_PORT}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = ${OSD_PORT_MIN}
ms bind port max = $((OSD_PORT_MIN + 500))
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
client mount timeout = 30
run dir = ${S3_DIR}/run
pid file = ${S3_DIR}/run/\$name.pid
admin socket = ${S3_DIR}/run/\$name.asok
log file = ${S3_DIR}/log/\$name.log
crash dir = ${S3_DIR}/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
# propose osdmap changes every 0.1 s instead of 1 s: RGW creates ~6 pools at startup and
# first bucket; this cuts cluster start from ~16 s to ~2.5 s
paxos propose interval = 0.1
paxos min wait = 0.01
mon allow pool delete = true
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
mon cluster log file = ${S3_DIR}/log/mon-cluster.log

[mon.a]
mon data = ${S3_DIR}/mon

[mgr.x]
mgr data = ${S3_DIR}/mgr

[osd.0]
osd data = ${S3_DIR}/osd
${osd_conf}
osd class load list = *
osd class default list = *

[client.rgw.s3]
rgw data = ${S3_DIR}/rgw
rgw frontends = ${frontends}
rgw dns name = localhost
rgw enable usage log = false
# reclaim space of deleted/overwritten objects quickly (memstore keeps it in RAM)
rgw gc obj min wait = 30
rgw gc processor period = 30
# radosgw defaults to ms_mon_client_mode=secure, which needs cephx; with auth=none use crc
ms mon client mode = crc
EOF
}

do_start() {
    if is_ready; then
        log "already running at ${ENDPOINT}"
        print_env
        return 0
    fi
    ensure_packages
    do_stop                                   # stale or half-started instance: wipe it
    local p
    for p in "${RGW_PORT}" "${MON_PORT}" ${RGW_SSL_PORT}; do
        port_busy "$p" && die "port $p on 127.0.0.1 is already in use (set RGW_PORT/MON_PORT/RGW_SSL_PORT)"
    done
    STARTING=1
    local t0 fsid osd_uuid
    t0=$(date +%s%N)
    mkdir -p "${S3_DIR}"/{run,log,mon,mgr,osd,rgw,crash}
    fsid=$(uuidgen)
    osd_uuid=$(uuidgen)
    if [ -n "${RGW_SSL_PORT}" ]; then
        mkdir -p "${S3_DIR}/tls"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
            -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            -keyout "${S3_DIR}/tls/key.pem" -out "${S3_DIR}/tls/cert.pem" 2>/dev/null
    fi
    write_conf "$fsid"

    log "mon"
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:${MON_PORT}]" "${S3_DIR}/monmap" >/dev/null
    ceph-mon -i a --mkfs --monmap "${S3_DIR}/monmap" --keyring /dev/null
    touch "${S3_DIR}/mon/keyring"
    ceph-mon -i a || die "ceph-mon failed, see ${S3_DIR}/log/mon.a.log (port ${MON_PORT} busy?)"

    log "osd (${OSD_STORE})"
    $CEPH osd new "$osd_uuid" 0 >/dev/null
    ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >>"${S3_DIR}/log/osd-mkfs.log" 2>&1 \
        || die "ceph-osd --mkfs failed, see ${S3_DIR}/log/osd-mkfs.log"
    ceph-osd -i 0 >>"${S3_DIR}/log/osd-start.log" 2>&1 || die "ceph-osd failed, see ${S3_DIR}/log/osd.0.log"

    if [ "${WITH_MGR}" = 1 ]; then
        log "mgr"
        ceph-mgr -i x || die "ceph-mgr failed, see ${S3_DIR}/log/mgr.x.log"
    fi

    log "radosgw"
    # radosgw stays in the foreground until it has reached the mon and the OSD (max ~30 s),
    # then forks into the background
    radosgw -n client.rgw.s3 >>"${S3_DIR}/log/rgw-start.log" 2>&1 || {
        tail -n 20 "${S3_DIR}/log/client.rgw.s3.log" >&2 || true
        die "radosgw failed (port ${RGW_PORT} busy?), see ${S3_DIR}/log/client.rgw.s3.log"
    }
    for _ in $(seq 1 $((START_TIMEOUT * 4))); do       # bounded wait for HTTP
        endpoint_up && break
        sleep 0.25
    done
    endpoint_up || die "radosgw not answering on ${ENDPOINT} after ${START_TIMEOUT}s, see ${S3_DIR}/log"

    log "S3 user"
    timeout 60 radosgw-admin user create --uid=tester --display-name="S3 tester" \
        --access-key="${S3_ACCESS_KEY}" --secret-key="${S3_SECRET_KEY}" >/dev/null 2>>"${S3_DIR}/log/radosgw-admin.log" \
        || die "radosgw-admin user create failed, see ${S3_DIR}/log/radosgw-admin.log"

    # warm-up + end-to-end credential check with SigV4-signed requests (creates the bucket
    # index/data pools now instead of during the first test: ~2-3 s).  curl 7.88 does not add
    # x-amz-content-sha256 by itself and RGW rejects SigV4 without it -> add it explicitly.
    s3curl() { curl -sf --max-time 60 --aws-sigv4 "aws:amz:us-east-1:s3" \
                    --user "${S3_ACCESS_KEY}:${S3_SECRET_KEY}" \
                    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o /dev/null "$@"; }
    s3curl -X PUT "${ENDPOINT}/start-s3-warmup"                     || die "signed PUT bucket failed"
    s3curl -X PUT --data-binary ok "${ENDPOINT}/start-s3-warmup/probe" || die "signed PUT object failed"
    s3curl -X DELETE "${ENDPOINT}/start-s3-warmup/probe"            || die "signed DELETE object failed"
    s3curl -X DELETE "${ENDPOINT}/start-s3-warmup"                  || die "signed DELETE bucket failed"

    touch "${S3_DIR}/.ready"
    STARTING=0
    log "ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms: ${ENDPOINT}"
    print_env
}

rgw_stop() {
    local pid
    pid=$(our_pid client.rgw.s3)
    [ -n "$pid" ] && signal_and_wait KILL 50 "$pid" >/dev/null
    rm -f "${S3_DIR}/run/client.rgw.s3.pid"
    log "radosgw stopped"
}

rgw_start() {
    endpoint_up && { log "radosgw already up"; return 0; }
    radosgw -n client.rgw.s3 >>"${S3_DIR}/log/rgw-start.log" 2>&1 || die "radosgw restart failed"
    for _ in $(seq 1 $((START_TIMEOUT * 4))); do
        endpoint_up && { log "radosgw up again"; return 0; }
        sleep 0.25
    done
    die "radosgw not answering on ${ENDPOINT} after restart"
}

case "$CMD" in
    rgw-stop)  rgw_stop ;;
    rgw-start) rgw_start ;;
    start)  do_start ;;
    stop)   do_stop; log "stopped; removed ${S3_DIR}" ;;
    status) if is_ready; then echo "up ${ENDPOINT}"; else echo "down"; exit 1; fi ;;
    env)    print_env ;;
    *)      echo "usage: $0 start|stop|status|env|rgw-stop|rgw-start" >&2; exit 2 ;;
esac
