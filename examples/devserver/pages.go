package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"
)

//go:embed templates/*.html static/*
var assets embed.FS

// pageNames are the templates under templates/, each rendered inside
// templates/layout.html.
var pageNames = []string{"home", "generator", "dashboard"}

// contentSecurityPolicy allows only our own script, style and fetches.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// pages holds the parsed templates.
type pages struct {
	t map[string]*template.Template
}

func loadPages() (*pages, error) {
	funcs := template.FuncMap{
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"human": func(t time.Time) string {
			return t.UTC().Format("2006-01-02 15:04:05 UTC") + " (in " + time.Until(t).Round(time.Second).String() + ")"
		},
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (p *pages) render(w http.ResponseWriter, name string, d *pageData) {
	var buf bytes.Buffer
	if err := p.t[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		writeError(w, http.StatusInternalServerError, "could not render page "+name+": "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin") // no-referrer would make form posts send Origin: null
	w.Write(buf.Bytes())
}

// staticHandler serves static/ (the page script and style sheet).
func staticHandler() http.Handler {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // embed pattern guarantees the directory exists
	}
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}
