#!/usr/bin/env bash
# Writes one man page from finecat's own --help text with help2man, so that the page cannot drift
# from the program: `finecat --help` for finecat.1, `finecat COMMAND --help` for
# finecat-COMMAND.1 (named as git names its subcommand pages). The one-line NAME of a
# subcommand page is the summary `finecat --help` lists for it.
#
# Usage: tools/man_page.sh BIN PAGE VERSION OUT    (PAGE: finecat or finecat-COMMAND)
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: $0 BIN PAGE VERSION OUT" >&2
    exit 2
fi
if ! command -v help2man >/dev/null; then
    echo "$0: help2man is not installed (make deps installs it: apt-get install help2man)" >&2
    exit 1
fi
bin=$(realpath "$1") page=$2 version=$3 out=$4
commands=$("$bin" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on && $1 != "help" { print $1 }')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$page" = finecat ]; then
    # help2man runs the program by its path; a link named finecat gives the page its name.
    ln -s "$bin" "$work/finecat"
    {
        echo '[SEE ALSO]'
        for command in $commands; do echo ".BR finecat-$command (1),"; done | sed '$ s/,$//'
    } > "$work/see_also.h2m"
    # The version comes from `finecat --version` itself here; subcommands have no --version,
    # so their pages get VERSION (the Makefile's, read from finecat.h like the program's).
    help2man --no-info --include="$work/see_also.h2m" \
        --name="NLI cross-encoders (ModernBERT, DeBERTa-v3, BERT, RoBERTa) in C" \
        --output="$out" "$work/finecat"
    grep -q "^\.TH FINECAT \"1\" \".*\" \"finecat $version\"" "$out" || {
        echo "$0: $out: finecat --version does not say $version" >&2
        exit 1
    }
    exit 0
fi

command=${page#finecat-}
if ! grep -qx -- "$command" <<< "$commands"; then
    echo "$0: 'finecat --help' lists no command '$command'" >&2
    exit 1
fi
summary=$("$bin" --help | awk -v c="$command" '/^Commands:/ { on = 1; next }
    on && $1 == c { $1 = ""; sub(/^ +/, ""); print; exit }')
# The subcommand as a program of its own (help2man calls PROGRAM --help).
printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$bin" "$command" > "$work/$page"
chmod +x "$work/$page"
printf '[SEE ALSO]\n.BR finecat (1)\n' > "$work/see_also.h2m"
help2man --no-info --version-string="$version" --include="$work/see_also.h2m" \
    --name="$summary" --output="$out" "$work/$page"
