package nas

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/internal/plotpng"
)

// Architecture is a searched network as a file holds it: the search space
// and the configuration of each of its layers, from which Space.Derive
// rebuilds the network exactly.
type Architecture struct {
	Space   Space    `json:"space"`
	Choices []Choice `json:"configs"`
}

// Derive returns the network a describes.
func (a Architecture) Derive() (Derived, error) { return a.Space.Derive(a.Choices) }

// WriteArchitecture writes a to path as JSON, atomically.
func WriteArchitecture(path string, a Architecture) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("nas: %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// ReadArchitecture reads an Architecture written by WriteArchitecture and
// checks that its space is valid and that its configurations belong to it.
// Errors name the file and what is wrong.
func ReadArchitecture(path string) (Architecture, error) {
	return readJSONFile(path, "nas", ParseArchitecture)
}

// ParseArchitecture parses and checks the JSON that WriteArchitecture
// writes.
func ParseArchitecture(b []byte) (Architecture, error) {
	var raw struct {
		Space   json.RawMessage `json:"space"`
		Choices []Choice        `json:"configs"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Architecture{}, fmt.Errorf("nas: architecture: %w", err)
	}
	if raw.Space == nil {
		return Architecture{}, fmt.Errorf("nas: architecture: no \"space\"")
	}
	s, err := ParseSpace(raw.Space)
	if err != nil {
		return Architecture{}, err
	}
	a := Architecture{Space: s, Choices: raw.Choices}
	if _, err := a.Derive(); err != nil {
		return Architecture{}, err
	}
	return a, nil
}

// gateLabel names gate g of layer l for tables and plots: "L3 kernel5".
func gateLabel(l *Layer, g Gate) string {
	return fmt.Sprintf("L%d %s", l.Spec.Index, g.Name[len("t_"):])
}

// WriteDecisionsCSV writes the search's records to path, atomically: per
// epoch the step, the metrics, the derived network's MACs, the mean cost
// term, each layer's configuration, each gate's margin s − t (open while
// positive), and each gate's mean threshold gradient from the
// classification loss ("… grad_loss") and from the cost term ("…
// grad_cost") over the epoch's architecture steps (empty in warm-up).
func WriteDecisionsCSV(path string, n *Supernet, history []EpochRecord) error {
	header := []string{"epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "macs", "penalty"}
	for _, l := range n.Layers {
		header = append(header, fmt.Sprintf("L%d", l.Spec.Index))
	}
	for _, l := range n.Layers {
		for _, g := range l.Gates {
			header = append(header, gateLabel(l, g))
		}
	}
	for _, kind := range []string{"grad_loss", "grad_cost"} {
		for _, l := range n.Layers {
			for _, g := range l.Gates {
				header = append(header, gateLabel(l, g)+" "+kind)
			}
		}
	}
	num := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	for _, r := range history {
		row := []string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), num(r.TrainLoss), num(r.TrainAcc),
			num(r.TestLoss), num(r.TestAcc), strconv.FormatInt(r.MACs, 10), num(r.Penalty)}
		for _, c := range r.Choices {
			row = append(row, c.String())
		}
		for _, ms := range r.Margins {
			for _, m := range ms {
				row = append(row, num(m))
			}
		}
		for _, g := range [][][]float64{r.GradLoss, r.GradCost} {
			for li, l := range n.Layers {
				for gi := range l.Gates {
					if g == nil {
						row = append(row, "")
					} else {
						row = append(row, num(g[li][gi]))
					}
				}
			}
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("nas: %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// decisionGrid is the heat map of the margins: one column per sample of
// MarginSample (steps), one row per gate (the first layer's gates at the
// top), the margin s − t clipped to ±clip.
type decisionGrid struct {
	samples []MarginSample
	rows    [][2]int // layer, gate of each row, bottom row first
	clip    float64
}

func (g decisionGrid) Dims() (c, r int) { return len(g.samples), len(g.rows) }
func (g decisionGrid) X(c int) float64  { return float64(g.samples[c].Step) }
func (g decisionGrid) Y(r int) float64  { return float64(r) }
func (g decisionGrid) Z(c, r int) float64 {
	return max(-g.clip, min(g.clip, g.samples[c].Margins[g.rows[r][0]][g.rows[r][1]]))
}

// marginPalette runs from red (closed, margin −clip) through white (0) to
// blue (open, +clip).
func marginPalette() palette.Palette {
	const n = 64
	cs := make([]color.Color, n)
	for i := range cs {
		x := 2*float64(i)/(n-1) - 1 // −1 … 1
		switch {
		case x < 0:
			w := uint8(255 * (1 + x))
			cs[i] = color.RGBA{R: 0xcc, G: w, B: w, A: 0xff}
		default:
			w := uint8(255 * (1 - x))
			cs[i] = color.RGBA{R: w, G: w, B: 0xcc, A: 0xff}
		}
	}
	return colours(cs)
}

type colours []color.Color

func (p colours) Colors() []color.Color { return p }

// WriteDecisionPlots draws the search's records as PNG images in dir: the
// margin s − t of every gate over the steps (DecisionsPlot: a row per
// gate, blue where open, red where closed, white at the threshold) and
// the derived network's MACs with the target (MACsPlot).
func WriteDecisionPlots(dir string, n *Supernet, history []EpochRecord, target int64) error {
	if len(history) == 0 {
		return nil
	}
	var g decisionGrid
	for _, r := range history {
		g.samples = append(g.samples, r.Trace...)
		for _, ms := range r.Margins {
			for _, m := range ms {
				g.clip = max(g.clip, math.Abs(m))
			}
		}
	}
	if len(g.samples) < 2 { // no steps traced: one column per epoch
		g.samples = g.samples[:0]
		for _, r := range history {
			g.samples = append(g.samples, MarginSample{Step: r.Step, Margins: r.Margins})
		}
	}
	if g.clip == 0 {
		g.clip = 1
	}
	var ticks []plot.Tick
	for li := len(n.Layers) - 1; li >= 0; li-- {
		l := n.Layers[li]
		for gi := len(l.Gates) - 1; gi >= 0; gi-- {
			ticks = append(ticks, plot.Tick{Value: float64(len(g.rows)), Label: gateLabel(l, l.Gates[gi])})
			g.rows = append(g.rows, [2]int{li, gi})
		}
	}
	if len(g.rows) > 0 {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Margins s − t (blue: open, red: closed; ±%.2g)", g.clip)
		p.X.Label.Text = "step"
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Tick.Label.Font.Size = vg.Points(7)
		hm := plotter.NewHeatMap(g, marginPalette())
		hm.Min, hm.Max = -g.clip, g.clip
		p.Add(hm)
		height := vg.Length(max(4, 1+0.13*float64(len(g.rows)))) * vg.Inch
		if err := savePNG(p, filepath.Join(dir, DecisionsPlot), 6*vg.Inch, height); err != nil {
			return err
		}
	}

	p := plot.New()
	p.Title.Text = "MACs of the derived network"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "MACs (millions)"
	p.Add(plotter.NewGrid())
	var macs, tgt plotter.XYs
	for _, r := range history {
		macs = append(macs, plotter.XY{X: float64(r.Epoch), Y: float64(r.MACs) / 1e6})
	}
	tgt = plotter.XYs{{X: 0, Y: float64(target) / 1e6}, {X: float64(history[len(history)-1].Epoch), Y: float64(target) / 1e6}}
	if err := plotutil.AddLinePoints(p, "derived", macs); err != nil {
		return fmt.Errorf("nas: plot: %w", err)
	}
	if err := plotutil.AddLines(p, "target", tgt); err != nil {
		return fmt.Errorf("nas: plot: %w", err)
	}
	p.Y.Min = 0
	return savePNG(p, filepath.Join(dir, MACsPlot), 6*vg.Inch, 4*vg.Inch)
}

func savePNG(p *plot.Plot, path string, w, h vg.Length) error {
	if err := plotpng.Write(path, p, w, h); err != nil {
		return fmt.Errorf("nas: %w", err)
	}
	return nil
}

// Drive says what decided a gate over a search: comparing the margin at
// the end of the warm-up, m0, with the final one, m = m0 + L + K, where K
// is the cost term's push on the threshold (Σ lr·∂R/∂t) and L everything
// else, the classification loss's push on the threshold and the drift of
// the statistic (which only the loss moves: the cost's gradient stops at
// the thresholds, and weight decay spares the statistics' weights).
type Drive string

const (
	// ByCost: the loss alone (m0 + L) would have given the other
	// decision; the cost term flipped it.
	ByCost Drive = "cost"
	// ByLoss: the cost alone (m0 + K) would have given the other
	// decision; the loss flipped it, or held it against the cost.
	ByLoss Drive = "loss"
	// ByBoth: each alone would have left the starting decision; together
	// they flipped it.
	ByBoth Drive = "both"
	// Unchanged: neither push, alone or together, changed the decision
	// at the end of the warm-up.
	Unchanged Drive = "unchanged"
)

// GateDrive is what decided one gate.
type GateDrive struct {
	// Layer is the layer's index in Supernet.Layers, Gate the gate's in
	// its Gates, Label "L3 nonlocal".
	Layer, Gate int
	Label       string
	// Start and Final are the margins at the end of the warm-up and at
	// the end; Loss and Cost the pushes L and K (see Drive).
	Start, Final, Loss, Cost float64
	Drive                    Drive
}

// Drivers says, for every gate, what decided it over the search recorded
// in history (see Drive). The margin at the end of the warm-up is that of
// the last warm-up epoch, or, without one, that of the first traced step.
func Drivers(n *Supernet, history []EpochRecord) []GateDrive {
	if len(history) == 0 {
		return nil
	}
	start := history[0].Margins
	if len(history[0].Trace) > 0 {
		start = history[0].Trace[0].Margins
	}
	for _, r := range history {
		if r.Warmup {
			start = r.Margins
		}
	}
	final := history[len(history)-1].Margins
	var out []GateDrive
	for li, l := range n.Layers {
		for gi, g := range l.Gates {
			d := GateDrive{Layer: li, Gate: gi, Label: gateLabel(l, g), Start: start[li][gi], Final: final[li][gi]}
			for _, r := range history {
				if r.PushCost != nil {
					d.Cost += r.PushCost[li][gi]
				}
			}
			d.Loss = d.Final - d.Start - d.Cost
			open := d.Final > 0
			lossFlips, costFlips := (d.Start+d.Loss > 0) != open, (d.Start+d.Cost > 0) != open
			switch {
			case lossFlips && costFlips:
				d.Drive = ByBoth
			case lossFlips:
				d.Drive = ByCost
			case costFlips:
				d.Drive = ByLoss
			default:
				d.Drive = Unchanged
			}
			out = append(out, d)
		}
	}
	return out
}

// DriversSummary describes ds in a few lines: how many decisions each
// drive made, and which.
func DriversSummary(n *Supernet, ds []GateDrive) string {
	var b bytes.Buffer
	by := map[Drive][]string{}
	for _, d := range ds {
		state := "closed"
		if d.Final > 0 {
			state = "open"
		}
		by[d.Drive] = append(by[d.Drive], d.Label+" "+state)
	}
	fmt.Fprintf(&b, "decisions: %d by the loss, %d by the cost, %d by both, %d unchanged since the warm-up\n",
		len(by[ByLoss]), len(by[ByCost]), len(by[ByBoth]), len(by[Unchanged]))
	for _, k := range []Drive{ByLoss, ByCost, ByBoth} {
		if len(by[k]) > 0 {
			fmt.Fprintf(&b, "  by the %s: %s\n", k, strings.Join(by[k], ", "))
		}
	}
	return b.String()
}
