package train

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/autonl-go/autonl/internal/atomicfile"
	"github.com/autonl-go/autonl/internal/plotpng"
)

// MetricsHeader is the header row of the metrics CSV.
var MetricsHeader = []string{"epoch", "step", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"}

// WriteMetricsCSV writes history to a CSV file at path, atomically: the
// header MetricsHeader, then one row per epoch. Accuracies are fractions
// in [0, 1]; the test columns are empty without a test set.
func WriteMetricsCSV(path string, history []EpochMetrics) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(MetricsHeader)
	num := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', 8, 64)
	}
	for _, m := range history {
		w.Write([]string{
			strconv.Itoa(m.Epoch), strconv.Itoa(m.Step), num(m.LR),
			num(m.TrainLoss), num(m.TrainAcc), num(m.TestLoss), num(m.TestAcc),
			strconv.FormatFloat(m.Seconds, 'f', 2, 64),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("train: metrics %s: %w", path, err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// WritePlots draws the loss and accuracy curves of history, per epoch, as
// PNG images dir/loss.png and dir/accuracy.png (LossPlotFile, AccPlotFile):
// training and, if there is a test set, test curves.
func WritePlots(dir string, history []EpochMetrics) error {
	type series struct {
		name string
		get  func(EpochMetrics) float64
	}
	figures := []struct {
		file, title, ylabel string
		scale               float64
		lines               []series
	}{
		{LossPlotFile, "Loss", "cross-entropy", 1, []series{
			{"train", func(m EpochMetrics) float64 { return m.TrainLoss }},
			{"test", func(m EpochMetrics) float64 { return m.TestLoss }},
		}},
		{AccPlotFile, "Accuracy", "accuracy (%)", 100, []series{
			{"train", func(m EpochMetrics) float64 { return m.TrainAcc }},
			{"test", func(m EpochMetrics) float64 { return m.TestAcc }},
		}},
	}
	for _, f := range figures {
		p := plot.New()
		p.Title.Text = f.title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = f.ylabel
		p.Legend.Top = f.scale == 1
		p.Legend.Left = false
		p.Add(plotter.NewGrid())
		var args []any
		for _, s := range f.lines {
			var xys plotter.XYs
			for _, m := range history {
				if v := s.get(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
					xys = append(xys, plotter.XY{X: float64(m.Epoch), Y: f.scale * v})
				}
			}
			if len(xys) > 0 {
				args = append(args, s.name, xys)
			}
		}
		if len(args) > 0 {
			if err := plotutil.AddLinePoints(p, args...); err != nil {
				return fmt.Errorf("train: plot %s: %w", f.file, err)
			}
		}
		if len(history) > 0 {
			p.X.Min, p.X.Max = 0, float64(history[len(history)-1].Epoch)+0.5
		}
		if err := plotpng.Write(filepath.Join(dir, f.file), p, 6*vg.Inch, 4*vg.Inch); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes b to a temporary file next to path and renames it
// over path, so that readers see the old or the new content.
func writeFileAtomic(path string, b []byte) error {
	if err := atomicfile.WriteFile(path, b); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
