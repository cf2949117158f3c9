package data

import "fmt"

// FormatError reports a malformed data file: which file, which record and
// what is wrong with it.
type FormatError struct {
	// File is the name of the file as it was given to the reader.
	File string
	// Record is the index of the record (image or label) at fault, counted
	// from 0, or -1 when the fault is not in one record (the header, or the
	// file as a whole).
	Record int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, such as a gzip or I/O error, or nil.
	Err error
}

// Error formats the error as "data: FILE: record K: MSG: ERR", leaving out
// the record when Record is -1 and the cause when Err is nil.
func (e *FormatError) Error() string {
	s := "data: " + e.File + ": "
	if e.Record >= 0 {
		s += fmt.Sprintf("record %d: ", e.Record)
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(file string, record int, err error, format string, args ...any) *FormatError {
	return &FormatError{File: file, Record: record, Msg: fmt.Sprintf(format, args...), Err: err}
}
