#!/bin/sh
# Regenerate aliases.txt and sbcs.bin from the ICU library installed on this
# machine (Debian 12: libicu72, the ICU real Cyrus 3.6.1 runs with).
# Needs a C compiler, libicu-dev and Go.
set -e
cd "$(dirname "$0")"/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -Wall -o "$tmp/icudump" gen/icudump.c -licuuc
"$tmp/icudump" aliases | LC_ALL=C sort -u > aliases.txt
"$tmp/icudump" sbcs > sbcs.bin
"$tmp/icudump" sub1 | LC_ALL=C sort -u > sub1.txt
go run ./gen/mbcsgen "$tmp/icudump" mbcs.bin.gz
