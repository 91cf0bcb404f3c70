package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dotenv holds the variables of one .env-style file.
type dotenv map[string]string

// parseDotenv parses the subset of dotenv syntax that Next.js projects use:
// KEY=value lines, optional "export " prefix, # comments, single-quoted values
// taken literally (the demo's JSON keys), double-quoted values with \n, \r,
// \t, \" and \\ escapes (which may span lines), and unquoted values with
// trailing " #comment" removed. Lines that are not assignments are reported
// in warnings and skipped, like dotenv does.
func parseDotenv(data []byte) (vars dotenv, warnings []string) {
	vars = dotenv{}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.TrimPrefix(s, "\ufeff")
	line := 0
	for len(s) > 0 {
		line++
		var raw string
		raw, s, _ = strings.Cut(s, "\n")
		t := strings.TrimSpace(raw)
		if t == "" || t[0] == '#' {
			continue
		}
		_, key, val, ok := dotenvAssignment(t)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("line %d: not a KEY=value assignment, skipped", line))
			continue
		}
		switch {
		case strings.HasPrefix(val, "'") || strings.HasPrefix(val, "\""):
			q := val[0]
			body := val[1:]
			first, rest := line, s
			// A quoted value may continue on the following lines.
			for {
				end := closingQuote(body, q)
				if end >= 0 {
					v := body[:end]
					if q == '"' {
						v = unescapeDouble(v)
					}
					vars[key] = v
					break
				}
				if s == "" {
					// Never closed: skip this line only, so one broken
					// value does not swallow the assignments after it.
					warnings = append(warnings, fmt.Sprintf("line %d: %s has an unterminated %c quote, skipped", first, key, q))
					line, s = first, rest
					break
				}
				var next string
				next, s, _ = strings.Cut(s, "\n")
				line++
				body += "\n" + next
			}
		default:
			if i := strings.Index(val, " #"); i >= 0 {
				val = val[:i]
			}
			vars[key] = strings.TrimSpace(val)
		}
	}
	return vars, warnings
}

// closingQuote returns the index of the quote that ends a value, or -1.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// readDotenv reads and parses path; a missing file is an empty set.
func readDotenv(path string) (dotenv, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return dotenv{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	vars, warnings := parseDotenv(data)
	return vars, warnings, nil
}

// updateDotenv returns data with the given variables set: the first
// assignment of each key is replaced in place (keeping an "export " prefix
// and the line's CRLF or LF ending), later duplicates are dropped, and keys
// not present are appended after header. Every other line is kept byte for
// byte, including the continuation lines of other multi-line quoted values.
func updateDotenv(data []byte, header string, order []string, vals map[string]string) []byte {
	done := map[string]bool{}
	var out bytes.Buffer
	lines := strings.SplitAfter(string(data), "\n")
	if strings.HasPrefix(lines[0], "\ufeff") { // keep a BOM, but read the line behind it
		out.WriteString("\ufeff")
		lines[0] = lines[0][len("\ufeff"):]
	}
	eol := "\n"
	if strings.HasSuffix(lines[0], "\r\n") {
		eol = "\r\n"
	}
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		if ln == "" {
			continue
		}
		prefix, key, val, ok := dotenvAssignment(ln)
		last := i // the last line of this assignment
		if ok && len(val) > 0 && (val[0] == '\'' || val[0] == '"') {
			// A quoted value continues on the following lines when (and
			// only when) it is closed on one of them.
			body := strings.TrimRight(val[1:], "\r\n")
			j := i
			for closingQuote(body, val[0]) < 0 && j+1 < len(lines) {
				j++
				body += "\n" + strings.TrimRight(lines[j], "\r\n")
			}
			if closingQuote(body, val[0]) >= 0 {
				last = j
			}
		}
		v, ours := vals[key]
		if !ok || !ours {
			for ; i <= last; i++ {
				out.WriteString(lines[i])
			}
			i = last
			continue
		}
		i = last
		if done[key] {
			continue
		}
		done[key] = true
		end := eol
		if strings.HasSuffix(ln, "\r\n") {
			end = "\r\n"
		} else if strings.HasSuffix(ln, "\n") {
			end = "\n"
		}
		out.WriteString(prefix + key + "=" + v + end)
	}
	var missing []string
	for _, k := range order {
		if !done[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			out.WriteString(eol)
		}
		if out.Len() > 0 {
			out.WriteString(eol)
		}
		if header != "" && len(missing) == len(order) {
			out.WriteString(header + eol)
		}
		for _, k := range missing {
			out.WriteString(k + "=" + vals[k] + eol)
		}
	}
	return out.Bytes()
}

// cutExport splits a leading "export" and the blanks after it (dotenv's
// `export\s+`) from a trimmed line.
func cutExport(t string) (prefix, rest string) {
	if len(t) > len("export") && strings.HasPrefix(t, "export") && (t[6] == ' ' || t[6] == '\t') {
		rest = strings.TrimLeft(t[6:], " \t")
		return t[:len(t)-len(rest)], rest
	}
	return "", t
}

// dotenvAssignment splits a KEY=value line (optionally "export "-prefixed)
// as parseDotenv reads it; ok is false for comments and other lines.
func dotenvAssignment(ln string) (prefix, key, val string, ok bool) {
	t := strings.TrimLeft(ln, " \t")
	prefix, t = cutExport(t)
	eq := strings.IndexByte(t, '=')
	if eq <= 0 {
		return "", "", "", false
	}
	key = strings.TrimSpace(t[:eq])
	if !validEnvName(key) {
		return "", "", "", false
	}
	return prefix, key, strings.TrimLeft(t[eq+1:], " \t"), true
}

// writeFileAtomic writes data to path with the given mode: a temporary file
// in the same directory is written, fsynced and renamed over path, then the
// directory is fsynced, so readers see either the old or the new content.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file next to %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", name, path, err)
	}
	ok = true
	syncDir(dir)
	return nil
}

// syncDir fsyncs a directory so a rename in it is durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
