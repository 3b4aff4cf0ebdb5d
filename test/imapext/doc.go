// Package imapext holds transcript tests of the IMAP extensions that
// Gyrus's imapd offers and Cyrus 3.6.1 lacks (REPLACE, PARTIAL, ...):
// there is no Cyrus recording to compare with, so each expected
// transcript is written by hand from the examples of the extension's RFC
// and played against a real Gyrus (master + imapd) started by
// test/harness. The script and transcript formats are test/imap's; see
// README.md for how the RFC examples were turned into expectations.
package imapext
