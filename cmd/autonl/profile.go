package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/autonl-go/autonl/models"
)

func init() {
	commands["profile"] = command{
		summary: "print a network's multiply-adds and parameters, layer by layer",
		run:     func(args []string) error { return runProfile(args, os.Stdout, os.Stderr) },
	}
}

// runProfile builds the network that the flags name, profiles it with
// models.Profile and prints the per-layer table and the totals.
func runProfile(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("profile", "(-model NAME | -arch FILE) [flags]",
		"Prints every layer's output shape, multiply-adds (MACs) and parameters, counted\n"+
			"from the built modules by the rules of the MnasNet/AutoNL profilers, and the totals.")
	model := fs.String("model", "", "zoo network: "+strings.Join(models.Names(), ", "))
	archFile := fs.String("arch", "", "file of arch strings, one block per line (instead of -model)")
	input := fs.Int("input", 224, "input height and width in pixels")
	channels := fs.Int("channels", 3, "input channels")
	classes := fs.Int("classes", 1000, "classifier outputs")
	width := fs.Float64("width", 1, "width multiplier")
	small := fs.Bool("small", false, "CIFAR-style strides for small inputs (stride 1 in the stem and the first stride-2 stage)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case (*model == "") == (*archFile == ""):
		return usagef("give exactly one of -model and -arch")
	case *input < 1:
		return usagef("-input %d: the input size must be positive", *input)
	case *channels < 1:
		return usagef("-channels %d: the number of input channels must be positive", *channels)
	case *classes < 1:
		return usagef("-classes %d: the number of classes must be positive", *classes)
	case !(*width > 0):
		return usagef("-width %v: the width multiplier must be positive", *width)
	}
	if err := firstError(atMost("-input", *input, models.MaxInputSize), atMost("-channels", *channels, models.MaxWidth),
		atMost("-classes", *classes, models.MaxClasses), atMost("-width", *width, models.MaxWidthMultiplier)); err != nil {
		return err
	}

	cfg := models.Config{InputChannels: *channels, Classes: *classes, WidthMultiplier: *width, SmallInput: *small}
	rng := rand.New(rand.NewPCG(1, 1))
	var (
		net  *models.Net
		name string
		err  error
	)
	// Profiling builds the network and runs one image through it.
	fits := func(what string, f models.Footprint, err error) error {
		if err != nil {
			return usagef("%s: %v", what, err)
		}
		return checkMemory(what, f, 1, false, [3]int{*channels, *input, *input}, 0)
	}
	if *model != "" {
		name = *model
		f, err := models.EstimateNew(*model, cfg, *input)
		if err := fits("-model "+*model, f, err); err != nil {
			return err
		}
		net, err = models.New(*model, rng, cfg)
		if err != nil {
			return usagef("-model: %v", err)
		}
	} else {
		name = *archFile
		_, blocks, err := readArchFile("-arch", *archFile)
		if err != nil {
			return err
		}
		f, err := models.Estimate(blocks, cfg, *input)
		if err := fits("-arch "+*archFile, f, err); err != nil {
			return err
		}
		if net, err = models.Build(blocks, cfg, rng); err != nil {
			return fmt.Errorf("-arch %s: %w", *archFile, err)
		}
	}
	cost, err := models.Profile(net, models.Shape{C: *channels, H: *input, W: *input})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s at %d×%d×%d, %d classes\n\n", name, *channels, *input, *input, *classes)
	fmt.Fprint(stdout, cost.Table())
	fmt.Fprintf(stdout, "\nMACs:   %d (%.1fM)\nparams: %d (%.2fM)\n",
		cost.Total.MACs, float64(cost.Total.MACs)/1e6, cost.Total.Params, float64(cost.Total.Params)/1e6)
	return nil
}
