#!/bin/sh
# test_install.sh: `make install PREFIX=DIR` puts every file where the
# Makefile's install block says, and the installed ddconform finds the
# standard scenarios next to its bin/ folder from any working directory.
#
#   sh tests/cli/test_install.sh        (from the repository root)
#
# MAKE (default make) and BUILD (default build, the build folder whose
# programs are installed) come from the environment.
#
# The expected file list is written here by hand from the repository, not
# taken from make. Exits 0 when everything holds, 1 otherwise; the
# temporary folder is removed either way.
set -u

MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dd-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix="$tmp/prefix"
failures=0

fail() {
    echo "test_install: FAIL: $*" >&2
    failures=$((failures + 1))
}

if ! $MAKE --no-print-directory install BUILD="$BUILD" PREFIX="$prefix" >"$tmp/make.log" 2>&1; then
    cat "$tmp/make.log" >&2
    echo "test_install: FAIL: make install PREFIX=$prefix failed" >&2
    exit 1
fi

# ---- every file that must be installed
for p in ddconform ddmock ddref ddsign; do
    [ -x "$prefix/bin/$p" ] || fail "bin/$p is missing or not executable"
done
share="$prefix/share/dd-harness/scenarios"
for f in scenarios/[0-9][0-9][0-9][0-9]-*.json scenarios/FORMAT.md \
         scenarios/schema.json scenarios/examples/*.json; do
    cmp -s "$f" "$share/${f#scenarios/}" || fail "share/dd-harness/$f missing or different"
done
doc="$prefix/share/doc/dd-harness"
for f in README.md docs/erp-contract.md docs/ci.md conformance/README.md \
         scenarios/FORMAT.md mock/README.md mock/WORLD.md client/README.md \
         client/ddref/README.md examples/minimal-erp/erp.py \
         examples/minimal-erp/README.md \
         examples/github-actions/ddconform.yml; do
    cmp -s "$f" "$doc/$f" || fail "share/doc/dd-harness/$f missing or different"
done
if [ -f conformance/REPORTS.md ]; then
    cmp -s conformance/REPORTS.md "$doc/conformance/REPORTS.md" ||
        fail "share/doc/dd-harness/conformance/REPORTS.md missing or different"
fi
[ -d "$doc/README.md" ] && fail "README.md was installed as a folder"

# ---- the installed ddconform finds its scenarios from another folder
n_expected=$(ls scenarios/[0-9][0-9][0-9][0-9]-*.json | wc -l)
[ "$n_expected" -eq 35 ] || fail "the repository holds $n_expected standard scenarios, not 35"
if "$prefix/bin/ddconform" --help 2>&1 | grep -q -- '--list'; then
    (cd / && env -u DDCONFORM_SCENARIOS "$prefix/bin/ddconform" --list) \
        >"$tmp/list.out" 2>"$tmp/list.err" || fail "ddconform --list failed: $(cat "$tmp/list.err")"
    for f in scenarios/[0-9][0-9][0-9][0-9]-*.json; do
        id=$(basename "$f" | cut -c1-4)
        grep -Eq "(^|[^0-9])$id([^0-9]|\$)" "$tmp/list.out" ||
            fail "ddconform --list does not list $id"
    done
else
    # Before --list: run the standard suite's first scenario by its
    # installed path with an ERP that does nothing, from /; it must load
    # and be judged (FAIL, exit 1), not be a harness ERROR (exit 3).
    (cd / && env -u DDCONFORM_SCENARIOS DDCONFORM_STRETCH=1 \
        "$prefix/bin/ddconform" --erp 'sleep 60' -j 1 --report-dir "$tmp/r" \
        "$share"/0001-*.json) >"$tmp/run.out" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || fail "installed ddconform on 0001 exited $rc, expected 1: $(cat "$tmp/run.out")"
    tail -n 1 "$tmp/run.out" | grep -qx '0 passed, 1 failed, 0 skipped' ||
        fail "unexpected summary line: $(tail -n 1 "$tmp/run.out")"
fi
# ---- uninstall removes it all again
$MAKE --no-print-directory uninstall BUILD="$BUILD" PREFIX="$prefix" >"$tmp/make.log" 2>&1 ||
    fail "make uninstall failed: $(cat "$tmp/make.log")"
left=$(find "$prefix" -type f | wc -l)
[ "$left" -eq 0 ] || fail "make uninstall left $left files"

cd "$root" || exit 1
if [ "$failures" -ne 0 ]; then
    echo "test_install: $failures failure(s)" >&2
    exit 1
fi
echo "test_install: ok"
