package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of every optimizer step. step counts
// optimizer steps from 0 — TensorFlow's global_step before the update, or
// Optimizer.Steps — so a training loop calls
//
//	opt.SetLR(schedule.LR(opt.Steps()))
//
// before each opt.Step(). Schedules are values without state: resuming
// needs only the step, which the optimizer's State keeps. Durations are in
// steps and may be fractional, as TensorFlow's decay_steps of 2.4 epochs;
// PerEpoch converts epochs to steps. The built-in schedules treat negative
// steps as 0 and print as the expressions that build them.
type Schedule interface {
	LR(step int) float64
}

// ScheduleFunc adapts a function to a Schedule.
type ScheduleFunc func(step int) float64

// LR returns f(step).
func (f ScheduleFunc) LR(step int) float64 { return f(step) }

// PerEpoch returns a function that converts a duration in epochs into
// optimizer steps, epochs·stepsPerEpoch, for the arguments of schedules:
//
//	ep := optim.PerEpoch(stepsPerEpoch)
//	s := optim.LinearWarmup(ep(5), 0, optim.ExponentialStaircase(0.016, 0.97, ep(2.4), true))
//
// The result is not rounded. (The EfficientNet TPU code truncates
// int(2.4·steps_per_epoch) first; pass math.Trunc(ep(2.4)) to match it.)
func PerEpoch(stepsPerEpoch int) func(epochs float64) float64 {
	if stepsPerEpoch <= 0 {
		panic(fmt.Sprintf("optim: PerEpoch: stepsPerEpoch %d is not positive", stepsPerEpoch))
	}
	return func(epochs float64) float64 { return epochs * float64(stepsPerEpoch) }
}

func at(step int) float64 { return float64(max(step, 0)) }

func positive(fn, what string, v float64) {
	if !(v > 0) || math.IsInf(v, 0) {
		panic(fmt.Sprintf("optim: %s: %s %v is not positive and finite", fn, what, v))
	}
}

// Constant returns the schedule that is lr at every step.
func Constant(lr float64) Schedule { return constant(lr) }

type constant float64

func (c constant) LR(int) float64 { return float64(c) }
func (c constant) String() string { return fmt.Sprintf("Constant(%v)", float64(c)) }

// Step returns base·gamma^⌊step/every⌋, torch.optim.lr_scheduler.StepLR
// with step_size every. It is ExponentialStaircase(base, gamma, every, true).
func Step(base, every, gamma float64) Schedule {
	positive("Step", "every", every)
	return exponential{base, gamma, every, true, "Step"}
}

// ExponentialStaircase returns TensorFlow's exponential_decay:
//
//	base · decayRate^(step/decaySteps)        (staircase: ⌊step/decaySteps⌋)
//
// decaySteps may be fractional: the MnasNet and AutoNL recipes decay by 0.97
// every 2.4 epochs. TensorFlow computes the exponent in float32; this
// computes it in float64, so the two may disagree at a step within float32
// rounding of a multiple of decaySteps.
func ExponentialStaircase(base, decayRate, decaySteps float64, staircase bool) Schedule {
	positive("ExponentialStaircase", "decaySteps", decaySteps)
	return exponential{base, decayRate, decaySteps, staircase, "ExponentialStaircase"}
}

type exponential struct {
	base, rate, steps float64
	staircase         bool
	name              string
}

func (e exponential) LR(step int) float64 {
	p := at(step) / e.steps
	if e.staircase {
		p = math.Floor(p)
	}
	return e.base * math.Pow(e.rate, p)
}

func (e exponential) String() string {
	if e.name == "Step" {
		return fmt.Sprintf("Step(%v, %v, %v)", e.base, e.steps, e.rate)
	}
	return fmt.Sprintf("ExponentialStaircase(%v, %v, %v, %t)", e.base, e.rate, e.steps, e.staircase)
}

// Cosine returns cosine annealing from base down to min over total steps,
// and min after:
//
//	min + (base − min)·(1 + cos(π·step/total))/2     for step ≤ total
//
// as torch.optim.lr_scheduler.CosineAnnealingLR (eta_min = min, T_max =
// total) over its first half period and TensorFlow's cosine_decay.
func Cosine(base, total, min float64) Schedule {
	positive("Cosine", "total", total)
	return cosine{base, total, min}
}

type cosine struct{ base, total, min float64 }

func (c cosine) LR(step int) float64 {
	t := math.Min(at(step), c.total)
	return c.min + (c.base-c.min)*(1+math.Cos(math.Pi*t/c.total))/2
}

func (c cosine) String() string { return fmt.Sprintf("Cosine(%v, %v, %v)", c.base, c.total, c.min) }

// LinearWarmup returns a linear ramp from start at step 0 towards
// then.LR(0), the base rate of then, over warmupSteps steps, followed by
// then:
//
//	start + (then.LR(0) − start)·step/warmupSteps     for step < warmupSteps
//	then.LR(step)                                     afterwards
//
// then is evaluated at the same step, not at step − warmupSteps, as in the
// MnasNet/EfficientNet TPU code (whose warm-up starts at 0) and timm's
// step-decay schedulers; wrap then in Shift to start it after the warm-up
// instead.
func LinearWarmup(warmupSteps, start float64, then Schedule) Schedule {
	if !(warmupSteps >= 0) || math.IsInf(warmupSteps, 0) {
		panic(fmt.Sprintf("optim: LinearWarmup: invalid warmupSteps %v", warmupSteps))
	}
	return warmup{warmupSteps, start, then}
}

type warmup struct {
	steps, start float64
	then         Schedule
}

func (w warmup) LR(step int) float64 {
	if t := at(step); t < w.steps {
		return w.start + (w.then.LR(0)-w.start)*t/w.steps
	}
	return w.then.LR(step)
}

func (w warmup) String() string {
	return fmt.Sprintf("LinearWarmup(%v, %v, %v)", w.steps, w.start, w.then)
}

// Shift returns s delayed by offset steps: s.LR(max(step − offset, 0)).
func Shift(s Schedule, offset int) Schedule { return shift{s, offset} }

type shift struct {
	s      Schedule
	offset int
}

func (s shift) LR(step int) float64 { return s.s.LR(max(step-s.offset, 0)) }
func (s shift) String() string      { return fmt.Sprintf("Shift(%v, %d)", s.s, s.offset) }
