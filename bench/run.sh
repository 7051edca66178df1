#!/usr/bin/env bash
# Compares hpsocket's echo servers with a plain tokio echo server and with the original
# HP-Socket 5.2.1 library, under the same load generator. Server pinned to core 0, load
# generator to core 1. Writes bench/results/latest.md.
#
#   SECS=5 REPS=3 bash bench/run.sh
#
# Environment: SECS (measured seconds per run, 5), REPS (runs per peer and scenario, 3),
# WARMUP (seconds, 1), BUF (server read buffer, 16384), ORIG (1: include the original
# HP-Socket peers, fetched with scripts/fetch-hpsocket.sh; 0: leave them out).
#
# Peers: hps (our TcpServer), hps-pack (our TcpPackServer), tokio, and from the original
# library through interop/hp_pack_peer.c: hp-orig (PUSH TcpServer) and hp-orig-pack
# (TcpPackServer). Every server: 1 worker thread, read buffer BUF.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

SECS="${SECS:-5}"
REPS="${REPS:-3}"
WARMUP="${WARMUP:-1}"
BUF="${BUF:-16384}"
ORIG="${ORIG:-1}"
MAX_PACK=262144
# name | loadgen mode | conns | size | peers (space-separated, in run order)
if [ "$ORIG" = 1 ]; then
    SCENARIOS=(
        "pingpong 100x64B|pingpong|100|64|hps tokio hp-orig"
        "bulk 8x64KiB|bulk|8|65536|hps tokio"
        "pack 100x1KiB|pack|100|1024|hps-pack hp-orig-pack"
    )
else
    SCENARIOS=(
        "pingpong 100x64B|pingpong|100|64|hps tokio"
        "bulk 8x64KiB|bulk|8|65536|hps tokio"
        "pack 100x1KiB|pack|100|1024|hps-pack"
    )
fi
# Ratio rows: scenario | ours | reference
RATIOS=(
    "pingpong 100x64B|hps|tokio"
    "pingpong 100x64B|hps|hp-orig"
    "bulk 8x64KiB|hps|tokio"
    "pack 100x1KiB|hps-pack|hp-orig-pack"
)

echo "== building" >&2
cargo build --release -p hps-bench >&2
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
BIN="$TARGET/release"

ORIG_PEER=""
ORIG_NOTE="original HP-Socket peers left out (ORIG=0)"
if [ "$ORIG" = 1 ]; then
    echo "== original HP-Socket library and C peer" >&2
    LIB="$(bash "$ROOT/scripts/fetch-hpsocket.sh")"
    LIB_DIR="$(dirname "$LIB")"
    mkdir -p "$TARGET/interop"
    ORIG_PEER="$TARGET/interop/hp_pack_peer"
    cc -O2 -pthread "$ROOT/interop/hp_pack_peer.c" -L"$LIB_DIR" -l:libhpsocket4c_amd64_64.so \
        -Wl,-rpath,"$LIB_DIR" -o "$ORIG_PEER.$$.tmp"
    mv "$ORIG_PEER.$$.tmp" "$ORIG_PEER"
    ORIG_NOTE="hp-orig / hp-orig-pack = original HP-Socket 5.2.1 (PyPI hpsocket 0.9.3, libhpsocket4c_amd64_64.so) TcpServer / TcpPackServer via interop/hp_pack_peer.c, 1 worker thread, SocketBufferSize $BUF"
fi

PIN_SERVER=()
PIN_LOAD=()
PINNING="server on CPU 0, load generator on CPU 1 (taskset)"
if ! command -v taskset >/dev/null 2>&1; then
    PINNING="NOT pinned: taskset is missing"
    echo "WARNING: taskset not found, running unpinned" >&2
elif [ "$(nproc)" -lt 2 ]; then
    PINNING="NOT pinned: fewer than 2 CPUs"
    echo "WARNING: fewer than 2 CPUs, running unpinned" >&2
else
    PIN_SERVER=(taskset -c 0)
    PIN_LOAD=(taskset -c 1)
fi

TCK="$(getconf CLK_TCK)"
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
WORK="$(mktemp -d)"
SERVER_PID=""
LOAD_PID=""
cleanup() {
    for p in $SERVER_PID $LOAD_PID; do
        kill "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Busy ticks of every process on the machine: user + nice + system of the "cpu" line of
# /proc/stat (softirq, irq and steal are counted apart and left out).
busy_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 }' /proc/stat
}

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat; the fields
# are counted after the ")" closing the command name, which may contain spaces).
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

json_field() { # json key
    sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" <<<"$1"
}

RAW="$WORK/raw.tsv" # scenario peer rep msgs_per_s mb_per_s cpu_us_per_msg server_cpu% load_cpu% other_cpu% errors
: >"$RAW"

run_one() { # scenario_name mode conns size peer rep
    local name="$1" mode="$2" conns="$3" size="$4" peer="$5" rep="$6"
    local out="$WORK/server.out"
    : >"$out"
    local cmd
    case "$peer" in
    hp-orig) cmd=("$ORIG_PEER" --no-stdin push-server "$BUF" 1) ;;
    hp-orig-pack) cmd=("$ORIG_PEER" --no-stdin server 0 "$MAX_PACK" "$BUF" 1) ;;
    hps-pack) cmd=("$BIN/echo-server" --impl hps-pack --port 0 --buf "$BUF" --max-pack "$MAX_PACK") ;;
    *) cmd=("$BIN/echo-server" --impl "$peer" --port 0 --buf "$BUF") ;;
    esac
    "${PIN_SERVER[@]}" "${cmd[@]}" >"$out" &
    SERVER_PID=$!
    local port="" i
    for i in $(seq 1 200); do
        port="$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$out")"
        [ -n "$port" ] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "echo-server ($peer) exited before READY" >&2
            exit 1
        fi
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "echo-server ($peer) printed no READY line in 10 s" >&2
        exit 1
    fi

    local lg_out="$WORK/loadgen.out"
    "${PIN_LOAD[@]}" "$BIN/loadgen" --addr "127.0.0.1:$port" --conns "$conns" --size "$size" \
        --mode "$mode" --seconds "$SECS" --warmup "$WARMUP" >"$lg_out" &
    LOAD_PID=$!
    # The CPU window matches the load generator's measured window: sampled after the warm-up
    # and after the load generator has finished.
    sleep "$WARMUP"
    local s0 l0 s1 l1 b0 b1
    b0="$(busy_ticks)"
    s0="$(cpu_ticks "$SERVER_PID")"
    l0="$(cpu_ticks "$LOAD_PID")"
    # Sample the load generator just before it exits: poll until its measured time is up.
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        l1="$(cpu_ticks "$LOAD_PID" 2>/dev/null || echo "${l1:-$l0}")"
        sleep 0.02
    done
    wait "$LOAD_PID" || {
        echo "loadgen failed ($peer, $name)" >&2
        exit 1
    }
    LOAD_PID=""
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        local st=0
        wait "$SERVER_PID" || st=$?
        echo "echo-server ($peer) died during the run (exit status $st; >128 = signal $((st - 128)))" >&2
        exit 1
    fi
    s1="$(cpu_ticks "$SERVER_PID")"
    b1="$(busy_ticks)"
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""

    local json
    json="$(tail -n 1 "$lg_out")"
    local msgs mps mbps secs errors
    msgs="$(json_field "$json" msgs)"
    mps="$(json_field "$json" msgs_per_s)"
    mbps="$(json_field "$json" mb_per_s)"
    secs="$(json_field "$json" secs)"
    errors="$(json_field "$json" errors)"
    local line
    line="$(awk -v s0="$s0" -v s1="$s1" -v l0="$l0" -v l1="${l1:-$l0}" -v b0="$b0" -v b1="$b1" -v tck="$TCK" \
        -v msgs="$msgs" -v secs="$secs" 'BEGIN {
            us = (s1 - s0) * 1e6 / tck
            per = msgs > 0 ? us / msgs : 0
            other = (b1 - b0) - (s1 - s0) - (l1 - l0)
            if (other < 0) other = 0
            printf "%.3f\t%.0f\t%.0f\t%.0f", per, 100 * (s1 - s0) / tck / secs, 100 * (l1 - l0) / tck / secs, 100 * other / tck / secs
        }')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$peer" "$rep" "$mps" "$mbps" "$line" "$errors" >>"$RAW"
    local per scpu lcpu ocpu
    IFS=$'\t' read -r per scpu lcpu ocpu <<<"$line"
    printf '  %-16s %-12s rep %s: %12s msgs/s %9s MB/s  server %s µs/msg  (CPU: server %s%%, loadgen %s%%, other %s%%)  errors %s\n' \
        "$name" "$peer" "$rep" "$mps" "$mbps" "$per" "$scpu" "$lcpu" "$ocpu" "$errors" >&2
    if [ "$ocpu" -gt 10 ]; then
        echo "    WARNING: other processes used ${ocpu}% CPU during this run; results are disturbed" >&2
    fi
}

echo "== running: ${#SCENARIOS[@]} scenarios × 2-3 peers × $REPS reps × (${WARMUP}+${SECS}) s; $PINNING" >&2
for sc in "${SCENARIOS[@]}"; do
    IFS='|' read -r name mode conns size peers <<<"$sc"
    read -r -a PEERS <<<"$peers"
    for rep in $(seq 1 "$REPS"); do
        for peer in "${PEERS[@]}"; do
            run_one "$name" "$mode" "$conns" "$size" "$peer" "$rep"
        done
    done
done

# Medians per scenario and peer.
median() { # column; reads numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0 } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}
col() { # scenario peer column
    awk -F'\t' -v s="$1" -v p="$2" -v c="$3" '$1 == s && $2 == p { print $c }' "$RAW"
}

CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
OUT_DIR="$ROOT/bench/results"
mkdir -p "$OUT_DIR"
REPORT="$OUT_DIR/latest.md"
{
    echo "# Echo benchmark: hpsocket vs tokio and the original HP-Socket"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- nproc: $(nproc); CPU: ${CPU_MODEL:-unknown}"
    echo "- kernel: $(uname -sr)"
    echo "- command: \`SECS=$SECS REPS=$REPS WARMUP=$WARMUP BUF=$BUF bash bench/run.sh\`"
    echo "- pinning: $PINNING"
    echo "- servers: hps = hpsocket TcpServer, 1 worker thread; hps-pack = hpsocket TcpPackServer (flag 0, MaxPackSize $MAX_PACK), 1 worker thread; tokio = current-thread runtime, task per connection; read buffer $BUF B for all"
    echo "- $ORIG_NOTE"
    echo "- pack scenario: loadgen --mode pack, one 1024-byte packet (+ 4-byte header, flag 0) in flight per connection; msgs = packets, MB/s counts headers too"
    echo "- load average at start: $LOADAVG; other processes' CPU % per run is in \"All runs\" (above ~10 % the run was disturbed)"
    echo "- medians of $REPS runs of $SECS s (after $WARMUP s warm-up); server CPU = utime+stime over the measured window"
    echo
    echo "| scenario | peer | msgs/s | MB/s | server CPU µs/msg | server CPU % | loadgen CPU % | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for sc in "${SCENARIOS[@]}"; do
        IFS='|' read -r name _ _ _ peers <<<"$sc"
        read -r -a PEERS <<<"$peers"
        for peer in "${PEERS[@]}"; do
            errs="$(col "$name" "$peer" 10 | awk '{ s += $1 } END { print s + 0 }')"
            printf '| %s | %s | %.0f | %.1f | %.3f | %.0f | %.0f | %s |\n' "$name" "$peer" \
                "$(col "$name" "$peer" 4 | median)" "$(col "$name" "$peer" 5 | median)" \
                "$(col "$name" "$peer" 6 | median)" "$(col "$name" "$peer" 7 | median)" \
                "$(col "$name" "$peer" 8 | median)" "$errs"
        done
    done
    echo
    echo "Ratios (> 1 means ours is better):"
    echo
    echo "| scenario | ours vs reference | msgs/s ours/ref | CPU per msg ref/ours |"
    echo "|---|---|---:|---:|"
    for r in "${RATIOS[@]}"; do
        IFS='|' read -r name ours ref <<<"$r"
        [ -n "$(col "$name" "$ref" 4)" ] || continue
        awk -v a="$(col "$name" "$ours" 4 | median)" -v b="$(col "$name" "$ref" 4 | median)" \
            -v c="$(col "$name" "$ref" 6 | median)" -v d="$(col "$name" "$ours" 6 | median)" \
            -v n="$name" -v o="$ours" -v f="$ref" \
            'BEGIN { printf "| %s | %s vs %s | %.3f | %.3f |\n", n, o, f, (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
    done
    echo
    echo "<details><summary>All runs</summary>"
    echo
    echo "| scenario | peer | rep | msgs/s | MB/s | server CPU µs/msg | server CPU % | loadgen CPU % | other CPU % | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$RAW"
    echo
    echo "</details>"
} >"$REPORT"
cat "$REPORT"
echo >&2
echo "written to $REPORT" >&2
