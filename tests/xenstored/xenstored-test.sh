#!/bin/sh
# xenstored-test.sh - run Debian's real xenstored without a hypervisor on a
# private unix socket, for poking at pcipt's xenstore nodes by hand.
#
#   eval "$(tests/xenstored/xenstored-test.sh start)"   # exports XENSTORED_PATH
#   build/pcipt status; xenstore-ls -fp /local
#   tests/xenstored/xenstored-test.sh stop              # uses $XS_TEST_DIR
#
# The shim is build/tests/fakexen.so (built by `make`), or $PCIPT_FAKEXEN.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SHIM=${PCIPT_FAKEXEN:-$SRC/build/tests/fakexen.so}
BIN=${XENSTORED_BIN:-/usr/lib/xen-4.17/bin/xenstored}

case "${1:-}" in
start)
    [ -f "$SHIM" ] || { echo "no $SHIM: run make first" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pcipt-xsd.XXXXXX")
    XENSTORED_RUNDIR="$dir" XENSTORED_PATH="$dir/socket" LD_PRELOAD="$SHIM" \
        "$BIN" -N >"$dir/xenstored.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/xenstored.pid"
    i=0
    until XENSTORED_PATH="$dir/socket" xenstore-exists / 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "xenstored did not start; its log:" >&2
            cat "$dir/xenstored.log" >&2
            kill "$pid" 2>/dev/null || true
            rm -rf "$dir"
            exit 1
        fi
        sleep 0.01
    done
    echo "export XENSTORED_PATH='$dir/socket' XS_TEST_DIR='$dir'"
    ;;
stop)
    dir=${2:-${XS_TEST_DIR:?usage: $0 stop [DIR]}}
    pid=$(cat "$dir/xenstored.pid")
    # only our daemon: check the name before signalling
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = xenstored ]; then
        kill "$pid"
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | stop [DIR]" >&2
    exit 2
    ;;
esac
