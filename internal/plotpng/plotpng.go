// Package plotpng writes gonum plots as PNG images, atomically (see
// package atomicfile), for the packages that draw training and search
// curves.
package plotpng

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/autonl-go/autonl/internal/atomicfile"
)

// Write renders p at width w and height h as a PNG image and writes it to
// path atomically. A rendering error is returned as "plot PATH: …", a
// write error as atomicfile returns it (os errors name the file).
func Write(path string, p *plot.Plot, w, h vg.Length) error {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}
