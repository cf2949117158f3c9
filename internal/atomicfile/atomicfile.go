// Package atomicfile writes files atomically: a reader of the path sees its
// previous content or the complete new one, never a partial file, and a
// failed write leaves nothing behind.
package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Write calls write with a temporary file in path's directory (named
// ".<base>.tmp…", so that it is hidden and on the same file system), syncs
// it to stable storage, gives it permissions 0644 and renames it to path.
// If write or any step fails, the temporary file is removed, path is left
// as it was, and the error is returned; os errors name path, not the
// temporary file.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nameFile(err, filepath.Join(dir, "."+filepath.Base(path)+".tmp*"), path)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = nameFile(err, tmp.Name(), path)
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename durable; not every system can sync a directory, so
	// a failure here is not an error.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// nameFile makes an error about the temporary file tmp of path name path
// instead, keeping what it wraps.
func nameFile(err error, tmp, path string) error {
	if tmp == "" || !strings.Contains(err.Error(), tmp) {
		return err
	}
	return &renamed{msg: strings.ReplaceAll(err.Error(), tmp, path), err: err}
}

// renamed is an error whose message names the file written rather than
// its temporary file.
type renamed struct {
	msg string
	err error
}

func (e *renamed) Error() string { return e.msg }
func (e *renamed) Unwrap() error { return e.err }

// tempName matches the names of the temporary files of Write.
var tempName = regexp.MustCompile(`^\..+\.tmp[0-9]+$`)

// RemoveStale removes from dir the temporary files that writes
// interrupted by a crash or a kill left behind: those named as Write names
// them and not modified for at least age (a younger one may belong to a
// write in progress). It returns the names it removed.
func RemoveStale(dir string, age time.Duration) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !tempName.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < age {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// WriteFile writes b to path atomically, as [Write] does.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
