#!/usr/bin/env python3
"""Print the character classes Cyrus 3.6.1's RFC 5322 date tokenizer
(lib/times.c) gives to bytes 0x80-0xFF.

That tokenizer indexes its class table (rfc5322_usascii_charset, 257
longs) with a signed char, so an 8-bit byte reads one of the 127 longs in
front of the table. The values are whatever the library's read-only data
holds there; this script finds the table in libcyrus.so by its contents
and prints the low five bits (Alpha=1, UAlpha=2, LAlpha=4, Digit=8,
TZSign=16) for each byte 0x80..0xFF as hex, for lib/message/date.go.
It also checks that the two byte tables next to it (special characters and
separators) read as 0 for 8-bit bytes.
"""
import struct
import sys

lib = sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/x86_64-linux-gnu/libcyrus.so.0"
data = open(lib, "rb").read()

table = [0] * 257
for c in range(ord("0"), ord("9") + 1):
    table[c + 1] = 8
for c in range(ord("A"), ord("Z") + 1):
    table[c + 1] = 1 | 2
for c in range(ord("a"), ord("z") + 1):
    table[c + 1] = 1 | 4
table[ord("+") + 1] = table[ord("-") + 1] = 16
pat = b"".join(struct.pack("<q", v) for v in table)
base = data.find(pat)
assert base > 0 and data.count(pat) == 1, "class table not found"

special = bytearray(256)
for c in b" \t\r\n":
    special[c] = 1
sep = bytearray(256)
for c in b" ,-+:":
    sep[c] = 1
for name, t in (("special", special), ("separators", sep)):
    at = data.find(bytes(t))
    assert at > 0 and data.count(bytes(t)) == 1, name + " not found"
    assert data[at - 128:at] == bytes(128), name + ": 8-bit bytes would not read 0"

out = []
for b in range(0x80, 0x100):
    c = b - 256
    v, = struct.unpack("<q", data[base + 8 * (c + 1):base + 8 * (c + 1) + 8])
    out.append(v & 31)
print("".join("%02x" % v for v in out))
