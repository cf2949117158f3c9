package train

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// barOutput is where progress bars go, or nowhere.
type barOutput struct{ w io.Writer }

// newBarOutput returns the bar output for w: none for nil and for a file
// that is not a terminal.
func newBarOutput(w io.Writer) barOutput {
	if f, ok := w.(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
		w = nil
	}
	return barOutput{w}
}

// epochBar is a progress bar over the batches of a pass; a nil *epochBar
// does nothing.
type epochBar struct {
	bar  *progressbar.ProgressBar
	desc string
}

// start returns a bar over n batches, or nil if bars are off.
func (o barOutput) start(n int, desc string) *epochBar {
	if o.w == nil || n <= 0 {
		return nil
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(o.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("batch"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(25),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &epochBar{bar: bar, desc: desc}
}

// advance counts one batch, with a new description unless desc is empty.
func (b *epochBar) advance(desc string) {
	if b == nil {
		return
	}
	b.bar.Add(1)
	if desc != "" && desc != b.desc {
		b.desc = desc
		b.bar.Describe(desc)
	}
}

// finish completes and clears the bar.
func (b *epochBar) finish() {
	if b == nil {
		return
	}
	b.bar.Finish()
	b.bar.Clear()
}

// abort clears the bar and moves to a new line.
func (b *epochBar) abort() {
	if b == nil {
		return
	}
	b.bar.Exit()
	b.bar.Clear()
}
