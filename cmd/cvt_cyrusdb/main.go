// Command cvt_cyrusdb copies a cyrusdb database into a new file of any
// backend, as Cyrus 3.6.1's cvt_cyrusdb(8) (spec/tools.md §4.3):
//
//	cvt_cyrusdb [-C file] <old-file> <old-backend> <new-file> <new-backend>
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gyrus/lib/config"
	"gyrus/lib/cyrusdb"
	_ "gyrus/lib/cyrusdb/backends"
	"gyrus/lib/log"
	"gyrus/lib/sysexits"
	"gyrus/lib/tool"
)

func usageText() string {
	var b strings.Builder
	b.WriteString("Usage: " + os.Args[0] + " [-C altconfig] <old db> <old db backend> <new db> <new db backend>\n")
	b.WriteString("Usable Backends:  ")
	sep := ":"
	for _, n := range cyrusdb.Backends() {
		b.WriteString(sep + " " + n)
		sep = ","
	}
	b.WriteString("\n")
	return b.String()
}

const relativeMsg = "\nSorry, you cannot use this tool with relative path names.\n" +
	"This is because some database backends do not\n" +
	"always do what you would expect with them.\n" +
	"\nPlease use absolute pathnames instead.\n\n"

func main() {
	tool.Main(tool.Program{
		Name:      "cvt_cyrusdb",
		Usage:     "convert a cyrusdb database to another backend",
		ArgsUsage: "<old-file> <old-backend> <new-file> <new-backend>",
		UsageText: usageText(),
		UsageExit: sysexits.Minus1,
		LazyInit:  true,
		Action:    run,
	})
}

func run(ctx *tool.Context) error {
	a := ctx.Args().Slice()
	if len(a) != 4 {
		return tool.Usage("")
	}
	oldDB, oldBE, newDB, newBE := a[0], a[1], a[2], a[3]
	if !strings.HasPrefix(oldDB, "/") || !strings.HasPrefix(newDB, "/") {
		fmt.Print(relativeMsg)
		return tool.Exit(sysexits.OSErr)
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	for _, be := range []string{oldBE, newBE} {
		if _, err := cyrusdb.Lookup(be); err != nil {
			return tool.Fatal(sysexits.Config, "%v", err)
		}
	}
	fmt.Printf("Converting from %s (%s) to %s (%s)\n", oldDB, oldBE, newDB, newBE)
	o := cyrusdb.Options{
		FullDirHash: ctx.Config.Fulldirhash(),
		VirtDomains: ctx.Config.Virtdomains() != config.VirtdomainsOff,
	}
	if err := cyrusdb.ConvertFile(oldDB, oldBE, newDB, newBE, o); err != nil {
		code := -1 // CYRUSDB_IOERROR
		if errors.Is(err, cyrusdb.ErrNotFound) {
			code = -5 // CYRUSDB_NOTFOUND
		}
		log.Error("DBERROR: conversion failed", "from", oldDB, "to", newDB, "err", err)
		fmt.Printf("\nDBERROR: Conversion failed (r was %d). Check syslog for details.\n", code)
	}
	return nil
}
