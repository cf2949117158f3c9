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

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/internal/plotpng"
	"github.com/autonl-go/autonl/internal/sysmem"
)

// Architecture is a searched network as a file holds it: the search space
// and the configuration of each of its layers, from which Space.Derive
// rebuilds the network exactly.
type Architecture struct {
	Space   Space    `json:"space"`
	Configs []Config `json:"configs"`
}

// Derive returns the network a describes.
func (a Architecture) Derive() (Derived, error) { return a.Space.Derive(a.Configs) }

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
	b, err := sysmem.ReadFile(path, MaxSpaceBytes)
	if err != nil {
		return Architecture{}, fmt.Errorf("nas: %w", err)
	}
	a, err := ParseArchitecture(b)
	if err != nil {
		return Architecture{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// ParseArchitecture parses and checks the JSON that WriteArchitecture
// writes.
func ParseArchitecture(b []byte) (Architecture, error) {
	var raw struct {
		Space   json.RawMessage `json:"space"`
		Configs []Config        `json:"configs"`
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
	a := Architecture{Space: s, Configs: raw.Configs}
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
// term, each layer's configuration and each gate's margin s − t (open
// while positive).
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
		for _, c := range r.Configs {
			row = append(row, c.String())
		}
		for _, ms := range r.Margins {
			for _, m := range ms {
				row = append(row, num(m))
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

// decisionGrid is the heat map of the decisions: one column per epoch,
// one row per gate (the first layer's gates at the top), 1 open, 0
// closed.
type decisionGrid struct {
	history []EpochRecord
	rows    [][2]int // layer, gate of each row, bottom row first
}

func (g decisionGrid) Dims() (c, r int) { return len(g.history), len(g.rows) }
func (g decisionGrid) X(c int) float64  { return float64(g.history[c].Epoch) }
func (g decisionGrid) Y(r int) float64  { return float64(r) }
func (g decisionGrid) Z(c, r int) float64 {
	if g.history[c].Margins[g.rows[r][0]][g.rows[r][1]] > 0 {
		return 1
	}
	return 0
}
func (g decisionGrid) Min() float64 { return 0 }
func (g decisionGrid) Max() float64 { return 1 }

// twoColours is a palette of a closed and an open colour.
type twoColours []color.Color

func (p twoColours) Colors() []color.Color { return p }

// WriteDecisionPlots draws the search's records as PNG images in dir: the
// decisions of every gate over the epochs (DecisionsPlot: a row per gate,
// dark where open) and the derived network's MACs with the target
// (MACsPlot).
func WriteDecisionPlots(dir string, n *Supernet, history []EpochRecord, target int64) error {
	if len(history) == 0 {
		return nil
	}
	var g decisionGrid
	g.history = history
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
		p.Title.Text = "Decisions (dark: open)"
		p.X.Label.Text = "epoch"
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Tick.Label.Font.Size = vg.Points(7)
		p.Add(plotter.NewHeatMap(g, twoColours{color.RGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}, color.RGBA{R: 0x22, G: 0x55, B: 0x99, A: 0xff}}))
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
