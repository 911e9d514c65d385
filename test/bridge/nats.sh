# test/bridge/nats.sh - real nats-servers for the bridge tests (sourced, bash).
#
# Every server listens on 127.0.0.1 only, on a port the kernel picks (-1;
# the client port is read back from the ports file), keeps its JetStream
# store in a temporary directory, and is stopped by its pid. The EXIT trap
# that nats_init sets stops every server and every process handed to
# nats_track, whatever the test did, and removes the directory.
#
#   nats_init                        the directory ($NATS_DIR) and the trap
#   nats_start NAME [--token T] [--max-payload N] [--cluster]
#                                    one server with JetStream; --cluster
#                                    makes it a member of the loopback
#                                    cluster (nats_cluster starts both)
#   nats_cluster                     "s1" and "s2": two servers routed to each
#                                    other on loopback, JetStream on both (a
#                                    JetStream cluster needs its meta group:
#                                    a server without JetStream in the
#                                    cluster leaves it without a leader in
#                                    2.9), no_advertise so that clients of
#                                    one never learn the other's address
#   nats_url NAME                    nats://127.0.0.1:PORT
#   nats_stop NAME                   SIGTERM by pid, then wait (SIGKILL after 10 s)
#   nats_restart NAME                stop, then start again on the same client
#                                    and cluster ports with the same store
#   nats_wait_js NAME                until /healthz says JetStream is ready
#   nats_stream_msgs NAME STREAM     messages in STREAM, from /jsz on NAME
#   nats_track PID                   stop PID (SIGKILL) in the trap too
#   free_port                        a port nothing listens on now (127.0.0.1)
#
# A cluster needs its route ports before the servers start (each names the
# other in its routes), so those come from free_port; client and monitor
# ports are always -1 at the first start.

NATS_DIR=""
NATS_TRACKED=""

nats_init() {
    command -v nats-server >/dev/null 2>&1 || {
        echo "nats.sh: nats-server not found (Debian: nats-server); run \`make deps\`" >&2
        exit 2
    }
    NATS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ibnats.XXXXXX") || exit 2
    trap nats_cleanup EXIT
    trap 'exit 130' INT TERM
}

nats_track() { NATS_TRACKED="$NATS_TRACKED $1"; }

nats_cleanup() {
    local p d
    for p in $NATS_TRACKED; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
    if [ -n "$NATS_DIR" ] && [ -d "$NATS_DIR" ]; then
        for d in "$NATS_DIR"/srv-*; do
            [ -f "$d/pid" ] || continue
            p=$(cat "$d/pid")
            kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
        done
        wait 2>/dev/null
        rm -rf "$NATS_DIR"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nats_conf NAME: write the server's config from its saved settings.
nats_conf() {
    local d=$NATS_DIR/srv-$1 port token max_payload cluster routes
    port=$(cat "$d/port" 2>/dev/null || echo -1)
    token=$(cat "$d/token" 2>/dev/null)
    max_payload=$(cat "$d/max_payload" 2>/dev/null)
    {
        echo "listen: \"127.0.0.1:$port\""
        echo "http: \"127.0.0.1:-1\""
        echo "server_name: \"ib-$1\""
        echo "jetstream { store_dir: \"$d/store\" }"
        [ -n "$token" ] && echo "authorization { token: \"$token\" }"
        [ -n "$max_payload" ] && echo "max_payload: $max_payload"
        if [ -f "$d/cluster" ]; then
            cluster=$(cat "$d/cluster")
            routes=$(cat "$NATS_DIR/routes")
            echo "cluster { name: \"ibc\", listen: \"127.0.0.1:$cluster\", no_advertise: true,"
            echo "          routes: [ $routes ] }"
        fi
    } >"$d/conf"
}

# nats_launch NAME: start from the config, read the client port back.
nats_launch() {
    local d=$NATS_DIR/srv-$1 pid i ports
    mkdir -p "$d/ports"
    rm -f "$d/ports"/*
    nats_conf "$1"
    nats-server -c "$d/conf" --ports_file_dir "$d/ports" -l "$d/log" &
    pid=$!
    echo "$pid" >"$d/pid"
    ports=$d/ports/nats-server_$pid.ports
    for i in $(seq 1 100); do
        [ -s "$ports" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$ports" ]; then
        echo "nats.sh: server $1 did not start (log: $(tail -n 3 "$d/log" 2>/dev/null))" >&2
        return 1
    fi
    sed -n 's|.*"nats":\["nats://127\.0\.0\.1:\([0-9]*\)".*|\1|p' "$ports" >"$d/port"
    sed -n 's|.*"monitoring":\["http://127\.0\.0\.1:\([0-9]*\)".*|\1|p' "$ports" >"$d/http"
    [ -s "$d/port" ] || { echo "nats.sh: no client port in $ports" >&2; return 1; }
}

nats_start() {
    local name=$1 d
    shift
    d=$NATS_DIR/srv-$name
    mkdir -p "$d/store"
    while [ $# -gt 0 ]; do
        case $1 in
        --token) echo "$2" >"$d/token"; shift 2 ;;
        --max-payload) echo "$2" >"$d/max_payload"; shift 2 ;;
        --cluster) free_port >"$d/cluster"; shift ;;
        *) echo "nats_start: unknown option $1" >&2; return 2 ;;
        esac
    done
    [ -f "$d/cluster" ] && [ ! -f "$NATS_DIR/routes" ] && {
        echo "nats_start: --cluster needs nats_cluster" >&2; return 2; }
    nats_launch "$name"
}

nats_cluster() {
    local c1 c2 d
    c1=$(free_port)
    c2=$(free_port)
    while [ "$c2" = "$c1" ]; do c2=$(free_port); done
    echo "\"nats-route://127.0.0.1:$c1\", \"nats-route://127.0.0.1:$c2\"" >"$NATS_DIR/routes"
    for d in s1 s2; do mkdir -p "$NATS_DIR/srv-$d/store"; done
    echo "$c1" >"$NATS_DIR/srv-s1/cluster"
    echo "$c2" >"$NATS_DIR/srv-s2/cluster"
    nats_launch s1 && nats_launch s2 && nats_wait_js s1 && nats_wait_js s2
}

nats_url() { echo "nats://127.0.0.1:$(cat "$NATS_DIR/srv-$1/port")"; }
nats_pid() { cat "$NATS_DIR/srv-$1/pid"; }
nats_log() { echo "$NATS_DIR/srv-$1/log"; }

nats_stop() {
    local d=$NATS_DIR/srv-$1 pid i
    pid=$(cat "$d/pid")
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$d/pid"
    return 0
}

# The client port is kept (clients reconnect to the URL they know), the
# monitor port is new.
nats_restart() {
    nats_stop "$1" && nats_launch "$1" && nats_wait_js "$1"
}

# /healthz answers 200 once JetStream is current (meta leader known, assets
# recovered); up to 20 s.
nats_wait_js() {
    python3 - "$(cat "$NATS_DIR/srv-$1/http")" "$1" <<'EOF'
import sys, time, urllib.request
port, name = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 20
while True:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/healthz" % port, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception as e:
        last = e
    if time.monotonic() > deadline:
        print("nats.sh: JetStream on %s not ready in 20 s (%s)" % (name, last), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.1)
EOF
}

nats_stream_msgs() {
    python3 - "$(cat "$NATS_DIR/srv-$1/http")" "$2" <<'EOF'
import json, sys, urllib.request
port, stream = sys.argv[1], sys.argv[2]
url = "http://127.0.0.1:%s/jsz?accounts=true&streams=true" % port
with urllib.request.urlopen(url, timeout=5) as r:
    jsz = json.load(r)
for acc in jsz.get("account_details") or []:
    for s in acc.get("stream_detail") or []:
        if s.get("name") == stream:
            print(s["state"]["messages"])
            sys.exit(0)
print("nats.sh: no stream %s on this server" % stream, file=sys.stderr)
sys.exit(1)
EOF
}
