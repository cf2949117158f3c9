// Package train trains and evaluates classifiers built with package nn:
// the training loop of autonl, with the evaluation, reporting and
// checkpointing around it.
//
// # Training
//
// A Trainer runs a Config: a model, a training loader and optionally a test
// loader (package data), a cross-entropy loss with label smoothing, an
// optimizer and a learning-rate schedule, optionally an EMA of the weights
// and gradient clipping (package optim), and a number of epochs. Each step
// is
//
//	lr ← schedule(optimizer steps so far); logits ← model(batch)
//	loss ← cross-entropy(logits, labels); backward
//	clip gradients; optimizer step; EMA update; release the graph
//
// and after each epoch the trainer evaluates the test set (with the EMA
// weights, if any), logs one line, and, with an output directory, writes
//
//	checkpoint.safetensors  everything needed to resume
//	metrics.csv             epoch, step, lr, train/test loss and accuracy, seconds
//	loss.png, accuracy.png  the curves per epoch, drawn with gonum's plot
//
// While an epoch runs, a progress bar (github.com/schollz/progressbar) with
// the running loss and accuracy, the rate and the ETA goes to
// Config.Progress when that is a terminal.
//
//	tr, err := train.New(train.Config{
//		Model: model, Train: trainLoader, Test: testLoader,
//		Loss:      nn.CrossEntropyLoss{LabelSmoothing: 0.1},
//		Optimizer: opt, Schedule: schedule,
//		Epochs:    10, OutDir: "runs/demo",
//		Log:       os.Stdout, Progress: os.Stderr,
//	})
//	...
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//	defer stop()
//	res, err := tr.Run(ctx)
//
// # Checkpoints and exact resumption
//
// A checkpoint is one .safetensors file: the model's state dict under its
// own names (so that the file is also a plain model checkpoint, loadable
// with nn.Load non-strictly or in PyTorch), the optimizer's state prefixed
// "optim.", the EMA's prefixed "ema.", and in the metadata the position in
// training, the metrics so far, the state of the random sources the model
// draws from, and the caller's own metadata (such as how to rebuild the
// model). It is written atomically after every epoch and when the context
// is cancelled.
//
// Resume restores all of it, and training continues bit for bit as if it
// had not stopped: the batches of epoch e are a function of the loader's
// seed and e, the learning rate a function of the optimizer's step count,
// and everything else is in the file. An interrupt stops after the current
// step; the interrupted epoch is not counted as completed, but the
// checkpoint records how many of its batches are done, and Resume skips
// those batches and continues with the next.
//
// # Evaluation
//
// Evaluate computes the loss, the accuracy and the confusion matrix of a
// model on a loader; ReadCheckpoint and Checkpoint.LoadModel load a trained
// model, with its EMA weights if wanted, without a Trainer.
package train
