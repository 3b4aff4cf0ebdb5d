// Package backends links every cyrusdb backend into a program:
//
//	import _ "gyrus/lib/cyrusdb/backends"
package backends

import (
	_ "gyrus/lib/cyrusdb/badger"
	_ "gyrus/lib/cyrusdb/flat"
	_ "gyrus/lib/cyrusdb/quotalegacy"
	_ "gyrus/lib/cyrusdb/skiplist"
	_ "gyrus/lib/cyrusdb/twoskip"
)
