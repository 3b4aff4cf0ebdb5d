// Package timsieved tests Gyrus's ManageSieve server end to end: a real
// master with timsieved on a free loopback port, talked to over TCP
// (and TLS), and the same scripted sessions played against the real
// Cyrus 3.6.1 timsieved, whose answers ours must equal once what must
// differ (the implementation name) is normalized.
package timsieved
