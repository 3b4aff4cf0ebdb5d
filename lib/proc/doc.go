// Package proc keeps the "proc files" that say who is connected to which
// service, from where, as which user and with which mailbox selected —
// what `cyr_info proc` lists and what the per-user and per-host login
// limits (maxlogins_per_user, maxlogins_per_host) count.
//
// # Layout
//
// The directory is proc_path, or {configdirectory}/proc when unset
// (Cyrus imap/proc.c). Cyrus runs one connection per process and writes
// one file per process, named by its pid, holding one line:
//
//	service TAB clienthost TAB userid TAB mailbox TAB command LF
//
// A Gyrus service process holds many sessions, so it writes a directory
// named by its pid, with one file per session, named by the session's
// number within the process (1, 2, ...), each holding the same one line:
//
//	{proc_path}/4711        a Cyrus process (file)
//	{proc_path}/4712/1      session 1 of Gyrus process 4712 (file in a directory)
//	{proc_path}/4712/7      session 7 of the same process
//
// Cyrus's own readers skip the directories (they read regular files
// only), so Cyrus and Gyrus services can share one proc directory; List
// reads both forms. Empty fields are empty strings. Tabs and line breaks
// inside a value are written as spaces.
//
// A session file is replaced atomically (written as "<n>.new", then
// renamed), so a reader sees the old or the new line, never a mix. A
// process removes its files when its sessions end and its directory when
// it exits; master removes what a crashed child left (RemovePID).
//
// Every method is safe for concurrent use; a Process serialises its own
// directory operations with one mutex, and a Session writes only its own
// file.
package proc
