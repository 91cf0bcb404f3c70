// Package httpstatus records the status code a handler answers with, for
// request logs (the dynamictest fake's and the devserver's).
package httpstatus

import "net/http"

// Recorder is an http.ResponseWriter that remembers the first status
// written; Status is 200 once a body is written without one, 0 before.
type Recorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records code and passes it on.
func (w *Recorder) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and passes b on.
func (w *Recorder) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Code is the status answered: Status, or 200 when the handler wrote
// nothing at all.
func (w *Recorder) Code() int {
	if w.Status == 0 {
		return http.StatusOK
	}
	return w.Status
}
