package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "syncgen:", err)
		}
		os.Exit(2)
	}
}

// run is the whole command: it parses args, generates the façade and
// writes it, printing warnings to stderr.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("syncgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typeName := fs.String("type", "", "the type whose methods to wrap (required)")
	name := fs.String("name", "", "the façade's name (default: -type with its first letter upper-cased)")
	output := fs.String("output", "", "the file to write (default: <type>_syncgen.go, lower-cased, in the package's directory)")
	strict := fs.Bool("strict", false, "fail instead of warning when a method fits no shape")
	unexported := fs.Bool("unexported", false, "wrap the type's unexported methods too (by default only the exported ones)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: syncgen -type=T [-name=F] [-output=file] [-strict] [-unexported] [package]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *typeName == "" {
		fs.Usage()
		return errors.New("-type is required")
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("at most one package, got %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	}
	pattern := "."
	if fs.NArg() == 1 {
		pattern = fs.Arg(0)
	}
	g, err := generate(config{
		pattern:    pattern,
		typ:        *typeName,
		name:       *name,
		output:     *output,
		unexported: *unexported,
	})
	if err != nil {
		return err
	}
	for _, w := range g.warnings {
		fmt.Fprintln(stderr, "syncgen: warning:", w)
	}
	if *strict && len(g.warnings) > 0 {
		return fmt.Errorf("-strict: %d method(s) of %s fit no shape", len(g.warnings), *typeName)
	}
	if err := os.MkdirAll(filepath.Dir(g.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(g.path, g.src, 0o644)
}
