#!/bin/sh
# deps.sh: make sure everything dd-harness builds and tests with is installed.
#
# Every building make target runs this first. It checks each dependency (with
# pkg-config for libraries, with `command -v` for tools, with the file a
# package ships for the rest). On Debian or Ubuntu it installs whatever is
# missing with apt-get, as root or through sudo, and says what it installs.
# Elsewhere it prints the exact Debian package names and stops, so a person
# can map them to their own system.
#
# Later parts of the project add to the lists below; keep one line per
# dependency: "kind name package".
#   kind pc   -> pkg-config module name
#   kind cmd  -> an executable on PATH
#   kind file -> a glob that must match at least one file
set -u

DEPS='
cmd  pkg-config        pkg-config
cmd  python3           python3
cmd  valgrind          valgrind
cmd  clang             clang
cmd  clang-format      clang-format
cmd  wrk               wrk
cmd  chromium          chromium
pc   libmicrohttpd     libmicrohttpd-dev
pc   libcjson          libcjson-dev
pc   libcurl           libcurl4-openssl-dev
pc   libssl            libssl-dev
pc   check             check
pc   sqlite3           libsqlite3-dev
file /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a libclang-rt-14-dev
'

# `deps.sh programs` checks only what building the four programs needs
# (make programs: a vendor's CI that runs ddconform against its ERP);
# without an argument, everything the tests, sanitizers, fuzzers,
# benchmarks and the browser check need as well.
PROGRAM_PACKAGES=' pkg-config libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev '
only_programs=0
[ "${1:-}" = programs ] && only_programs=1

missing=''
have() {
    kind=$1 name=$2
    case $kind in
    cmd) command -v "$name" >/dev/null 2>&1 ;;
    pc) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$name" ;;
    file) for f in $name; do [ -e "$f" ] && return 0; done; return 1 ;;
    *) return 1 ;;
    esac
}

# `set -f` keeps the file globs literal while the list is split into words.
set -f
set -- $DEPS
set +f
while [ $# -ge 3 ]; do
    if [ "$only_programs" -eq 1 ]; then
        case "$PROGRAM_PACKAGES" in
        *" $3 "*) ;;
        *) shift 3; continue ;;
        esac
    fi
    if ! have "$1" "$2"; then
        case " $missing " in
        *" $3 "*) ;;
        *) missing="$missing $3" ;;
        esac
    fi
    shift 3
done

[ -z "$missing" ] && exit 0

is_debian=0
if [ -r /etc/os-release ]; then
    . /etc/os-release
    case " ${ID:-} ${ID_LIKE:-} " in
    *" debian "* | *" ubuntu "*) is_debian=1 ;;
    esac
fi

if [ "$is_debian" -ne 1 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages (Debian names):$missing" >&2
    echo "deps: this is not Debian or Ubuntu; install their equivalents, then run make again." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=''
elif command -v sudo >/dev/null 2>&1; then
    SUDO='sudo -n'
else
    echo "deps: missing packages:$missing" >&2
    echo "deps: not root and no sudo; run as root: apt-get install -y$missing" >&2
    exit 1
fi

echo "deps: installing:$missing"
$SUDO apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
echo "deps: installed:$missing"
