// Command autonl trains, evaluates, profiles and exports the mobile
// networks of package models, with or without LightNL blocks.
//
// Usage:
//
//	autonl <command> [flags]
//
// Each command lists its flags with -h. Flags that make no sense give one
// line on standard error and exit status 2; other failures exit with 1,
// and an interrupted run (Ctrl-C) with 130.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

// command is a subcommand: a one-line summary for the usage text and the
// function that runs it with the arguments after its name.
type command struct {
	summary string
	run     func(args []string) error
}

// commands holds the subcommands by name; each file registers its own in
// an init function.
var commands = map[string]command{}

// interruptible returns the run function of a command that Ctrl-C stops:
// it calls run with a context that an interrupt cancels, and with standard
// output and standard error.
func interruptible(run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) func(args []string) error {
	return func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return run(ctx, args, os.Stdout, os.Stderr)
	}
}

// newFlagSet returns the empty flag set of autonl name. Its usage text
// (-h) is "Usage: autonl name synopsis", the description (lines without
// their final newline) and the flags.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: autonl %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// usageError is an error in the command line: main prints it as one line
// and exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stderr))
}

// dispatch runs the command named by args[0] and returns the exit status.
func dispatch(args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "autonl: unknown command %q; the commands are %s (autonl -h lists them)\n", name, strings.Join(commandNames(), ", "))
		return 2
	}
	err := cmd.run(args[1:])
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "autonl %s: %v\n", name, err)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "autonl %s: %v\n", name, err)
		return 130
	default:
		fmt.Fprintf(stderr, "autonl %s: %v\n", name, err)
		return 1
	}
}

func commandNames() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: autonl <command> [flags]\n\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun autonl <command> -h for the flags of a command.")
}

// parseFlags parses args with fs, whose own error output is silenced: a bad
// flag becomes a usageError of one line, and -h prints the usage to stderr
// and returns flag.ErrHelp. Positional arguments are refused, and so are
// infinite and NaN values of float flags.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	return checkFinite(fs)
}
