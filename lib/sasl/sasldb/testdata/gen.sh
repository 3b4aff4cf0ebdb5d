#!/bin/sh
# Regenerates the Berkeley DB sasldb2 test vectors with the REAL Cyrus SASL
# tools (Debian bookworm: sasl2-bin 2.1.28 saslpasswd2, db-util 5.3).
# The files hold only test passwords. expected.txt lists what each file
# must yield: file<TAB>user<TAB>realm<TAB>password ("-" = absent).
# Passwords are deterministic so the expectation can be regenerated too.
set -eu
cd "$(dirname "$0")"
rm -f ./*.db expected.txt
add() { # file user realm password
	printf '%s' "$4" | saslpasswd2 -p -f "$1" -c -u "$3" "$2"
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>expected.txt
}
del() { # file user realm
	saslpasswd2 -p -f "$1" -d -u "$3" "$2" </dev/null
	printf '%s\t%s\t%s\t-\n' "$1" "$2" "$3" >>expected.txt
}
long() { # n: a deterministic password of n bytes
	i=0; s=""
	while [ ${#s} -lt "$1" ]; do s="${s}L$i-"; i=$((i + 1)); done
	printf '%s' "$s" | cut -c1-"$1"
}

# small.db: a few users in two realms, one changed, one deleted.
add small.db alice example.org 'secret1'
add small.db bob example.org 'pw2'
add small.db alice other.test 'another'
add small.db carol mail.test 'sp ace&%x'
add small.db bob example.org 'pw2-changed'
add small.db dave mail.test 'gone'
del small.db dave mail.test
sed -i '/^small.db	bob	example.org	pw2$/d' expected.txt

# two.db: two users, so bucket 0's page was never written (all zero).
add two.db old host.test 'a'
add two.db keep host.test 'b'

# empty.db: made by deleting from a file that did not exist.
del empty.db nobody host.test

# many.db: 600 users over three realms (many bucket splits), a few with
# 2000-byte passwords (overflow pages), 50 deletions (free pages).
n=0
while [ $n -lt 600 ]; do
	r=realm$((n % 3)).test
	add many.db "user$n" "$r" "pw-$n-$(printf '%05d' $((n * 7919 % 100000)))"
	n=$((n + 1))
done
for n in 7 77 177 277 377; do
	add many.db "biguser$n" realm1.test "$(long 2000)$n"
done
n=0
while [ $n -lt 600 ]; do
	del many.db "user$n" realm$((n % 3)).test
	n=$((n + 12))
done
# keep only the last line per (file,user,realm) in expected.txt
awk -F'\t' '{k=$1 FS $2 FS $3; if (!(k in v)) o[++m]=k; v[k]=$0} END {for (i=1;i<=m;i++) print v[o[i]]}' expected.txt >e.tmp && mv e.tmp expected.txt

# Other byte order, other page size, with checksums: same data as small.db
# and many.db, re-loaded by db_load (the format libdb itself writes).
db_dump small.db | db_load -c db_lorder=4321 small-be.db
db_dump many.db | db_load -c db_lorder=4321 -c db_pagesize=512 many-be-512.db
db_dump many.db | db_load -c chksum=1 many-chksum.db
for f in small-be.db; do grep "^small.db	" expected.txt | sed "s/^small.db/$f/"; done >>expected.txt
for f in many-be-512.db many-chksum.db; do grep "^many.db	" expected.txt | sed "s/^many.db/$f/"; done >>expected.txt
