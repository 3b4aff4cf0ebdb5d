package main

import (
	"gyrus/lib/log"
)

// Logging goes through package log (syslog with ident "master", and
// stderr in the foreground: -D or -L). Events are short snake_case names
// followed by key=value pairs; error-level events end in _failed, _error
// or name the failure (abnormally, signaled_to_death, disabled).

func debugf(event string, kv ...any)  { log.Debug(event, kv...) }
func infof(event string, kv ...any)   { log.Info(event, kv...) }
func noticef(event string, kv ...any) { log.Notice(event, kv...) }
func warnf(event string, kv ...any)   { log.Warn(event, kv...) }
func errorf(event string, kv ...any)  { log.Error(event, kv...) }

// critf is LOG_CRIT in Cyrus; package log tops out at LOG_ERR.
func critf(event string, kv ...any) { log.Error(event, kv...) }
