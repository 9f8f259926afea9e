#!/usr/bin/env bash
# `make install` and `make uninstall` into a temporary DESTDIR, checked from the outside: the
# files land where they should, the shared library has its soname and exports exactly the
# functions of finecat.h, a program built with `pkg-config --cflags --libs finecat` (shared and
# static) runs the installed model, the installed `finecat` finds that model by itself, the man
# pages exist and come from the --help texts, and uninstall leaves no file behind.
# Run by `make test` as tests/install_test.sh BUILD (MAKE, CC and LDFLAGS from make).
set -uo pipefail
build=${1:?usage: tests/install_test.sh BUILD}
make=${MAKE:-make}
cc=${CC:-cc}
ldflags=${LDFLAGS:-}
repo=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
prefix=/usr/local
passed=0 failed=0

check() { # check DESCRIPTION COMMAND...: one named check, passed when COMMAND succeeds
    local what=$1
    shift
    if "$@" >"$tmp/check.out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL install: $what" >&2
        sed 's/^/    /' "$tmp/check.out" >&2
    fi
}

if ! $make -s install BUILD="$build" PREFIX=$prefix DESTDIR="$root" >"$tmp/install.log" 2>&1; then
    echo "FAIL install: make install failed" >&2
    cat "$tmp/install.log" >&2
    echo "install: 0 passed, 1 failed"
    exit 1
fi
p=$root$prefix
version=$(awk '$2 ~ /^FC_VERSION_(MAJOR|MINOR|PATCH)$/ { v = v (v == "" ? "" : ".") $3 } END { print v }' include/finecat.h)
major=${version%%.*}

# --- files in place
for f in bin/finecat lib/libfinecat.so.$version lib/libfinecat.a include/finecat.h \
         lib/pkgconfig/finecat.pc share/man/man1/finecat.1; do
    check "$f installed" test -s "$p/$f"
done
check "libfinecat.so.$major -> libfinecat.so.$version" \
    test "$(readlink "$p/lib/libfinecat.so.$major")" = "libfinecat.so.$version"
check "libfinecat.so -> libfinecat.so.$major" test "$(readlink "$p/lib/libfinecat.so")" = "libfinecat.so.$major"
check "the model's files installed" \
    diff -r "$repo/models/finecat-nli-minilm" "$p/share/finecat/models/finecat-nli-minilm"
check "the soname is libfinecat.so.$major" \
    grep -q "(SONAME).*\[libfinecat.so.$major\]" <(readelf -d "$p/lib/libfinecat.so.$version")

# --- exports: fc_ functions only, every function finecat.h declares, no internal one
nm -D --defined-only "$p/lib/libfinecat.so.$version" | awk '{ print $3 }' | sort >"$tmp/exported"
sed 's://.*::' include/finecat.h | grep -oE '\bfc_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/declared"
check "only fc_ symbols exported" test -z "$(grep -v '^fc_' "$tmp/exported")"
check "exports = the functions finecat.h declares" diff "$tmp/declared" "$tmp/exported"
check "fc_model_load and fc_version exported" grep -qx 'fc_model_load' "$tmp/exported"
check "internal fc_malloc_at is not exported" test -z "$(grep -x 'fc_malloc_at' "$tmp/exported")"

# --- a program built against the installed tree with pkg-config (prefix relocated into DESTDIR)
export PKG_CONFIG_PATH=$p/lib/pkgconfig
pc() { pkg-config --define-prefix "$@" finecat; }
check "pkg-config --modversion is $version" test "$(pc --modversion)" = "$version"
model_dir=$(pc --variable=modeldir)
check "pkg-config modeldir is the installed model" test "$model_dir" -ef "$p/share/finecat/models/finecat-nli-minilm"
premise="A man is playing a guitar on stage." hypothesis="A person is making music."
check "consumer builds with pkg-config --cflags --libs" \
    $cc -o "$tmp/consumer" "$repo/tests/install/consumer.c" $(pc --cflags) $(pc --libs) \
        -Wl,-rpath,"$(pc --variable=libdir)" $ldflags
check "consumer loads the installed libfinecat.so" \
    grep -q "libfinecat.so.$major => $p/lib/libfinecat.so.$major" <(ldd "$tmp/consumer")
(cd "$tmp" && ./consumer "$model_dir" "$premise" "$hypothesis") >"$tmp/shared.out" 2>&1
check "consumer (shared) classifies a pair as entailment" \
    awk -v v="$version" 'NR == 1 && $2 != v { exit 1 } $1 == "entailment" && $2 > 0.5 { e = 1 } END { exit !e }' "$tmp/shared.out"
check "consumer links the static library (pkg-config --static)" \
    $cc -o "$tmp/consumer_static" "$repo/tests/install/consumer.c" $(pc --cflags) \
        $(pc --static --libs | sed "s|-lfinecat|$(pc --variable=libdir)/libfinecat.a|") $ldflags
(cd "$tmp" && ./consumer_static "$model_dir" "$premise" "$hypothesis") >"$tmp/static.out" 2>&1
check "static and shared give the same probabilities" diff "$tmp/shared.out" "$tmp/static.out"
check "the static consumer needs no libfinecat.so" test -z "$(ldd "$tmp/consumer_static" | grep libfinecat)"

# --- the installed program: version, and its default model found under share/ (not ./models)
check "finecat --version" test "$("$p/bin/finecat" --version)" = "finecat $version"
(cd "$tmp" && env -u FINECAT_MODEL "$p/bin/finecat" nli --json "$premise" "$hypothesis") >"$tmp/cli.out" 2>&1
check "installed finecat finds its model without --model" grep -q '"label":"entailment"' "$tmp/cli.out"

# --- man pages: one per command that `finecat --help` lists, made from the --help texts
commands=$("$p/bin/finecat" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on && $1 != "help" { print $1 }')
for command in $commands; do
    check "man page finecat-$command.1" grep -q '^\.TH FINECAT-' "$p/share/man/man1/finecat-$command.1"
done
check "finecat-nli.1 has the --help text's options" grep -q 'max\\-length' "$p/share/man/man1/finecat-nli.1"
check "man -l renders finecat.1" bash -c "man -l '$p/share/man/man1/finecat.1' 2>/dev/null | grep -q 'finecat-nli(1)'"

# --- uninstall removes every file and link it put there
$make -s uninstall BUILD="$build" PREFIX=$prefix DESTDIR="$root" >"$tmp/uninstall.log" 2>&1
check "make uninstall succeeds" test $? -eq 0
check "uninstall leaves no file" test -z "$(find "$root" ! -type d)"
check "uninstall removes share/finecat" test ! -e "$p/share/finecat"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
