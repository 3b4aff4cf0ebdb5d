// Command sievec compiles a Sieve script to the bytecode lmtpd runs, as
// Cyrus 3.6.1's sievec(8) does (spec/tools.md §7):
//
//	sievec [-C file] <script-file> <output-bytecode-file>
//
// The script "-" is standard input. Errors are printed as Cyrus prints
// them ("Unable to parse script: script errors:" and one "line N: ..."
// per problem) and every failure exits 1, as there. The output is
// written to a temporary file in the same directory, synced and renamed
// over the target, so that lmtpd never reads half a script.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gyrus/lib/sieve"
	"gyrus/lib/tool"
)

const usageText = "Syntax: sievec [-C <altconfig>] <filename> <outputfile>\n"

func main() {
	tool.Main(program(os.Stdin, os.Stderr))
}

// program is the command line, separate from main for the tests.
func program(stdin io.Reader, stderr io.Writer) tool.Program {
	return tool.Program{
		Name:      "sievec",
		Usage:     "compile a Sieve script to bytecode",
		ArgsUsage: "<script-file> <output-bytecode-file>",
		UsageText: usageText,
		UsageExit: 1,
		LazyInit:  true,
		Action:    func(ctx *tool.Context) error { return run(ctx, stdin, stderr) },
	}
}

func run(ctx *tool.Context, stdin io.Reader, stderr io.Writer) error {
	if ctx.Args().Len() < 2 {
		return tool.Usage("")
	}
	in, out := ctx.Args().Get(0), ctx.Args().Get(1)
	// Cyrus opens the script before it reads imapd.conf, as the user
	// who ran it.
	var src []byte
	var err error
	if in == "-" {
		src, err = io.ReadAll(io.LimitReader(stdin, sieve.MaxScriptSize+1))
	} else {
		var f *os.File
		if f, err = os.Open(in); err == nil {
			src, err = io.ReadAll(io.LimitReader(f, sieve.MaxScriptSize+1))
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "Unable to open %s for reading\n", in)
		return tool.Exit(1)
	}
	if err := ctx.Init(); err != nil {
		return err
	}
	bc, err := sieve.Compile(src, sieve.OptionsFromConfig(ctx.Config))
	if err != nil {
		if se, ok := err.(*sieve.Error); ok {
			fmt.Fprintf(stderr, "Unable to parse script: script errors:\r\n%s", se.Error())
		} else {
			fmt.Fprintf(stderr, "Unable to parse script: %v\n", err)
		}
		return tool.Exit(1)
	}
	if err := writeAtomic(out, bc); err != nil {
		fmt.Fprintf(stderr, "couldn't open bytecode output file: %v\n", err)
		return tool.Exit(1)
	}
	return nil
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it over path (mode 0644, as Cyrus creates it).
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
