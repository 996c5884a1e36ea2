package health

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Handler returns the HTTP handler for the probes. It answers GET and
// HEAD, under any path prefix, to /livez, /readyz (and /healthz, its older
// name), /startupz, and /<probe>/<check name> for one check. The query
// parameter exclude=<name> (repeatable, or comma-separated) leaves checks
// out. The status is 200 for pass and warn, 503 for fail.
//
// The body is application/health+json, listing every check, unless the
// Accept header rates text/plain (or text/*) above every JSON type. Then
// it is the text form Kubernetes components serve: "ok" when passing;
// otherwise, or with the query parameter verbose, one line per check such
// as "[-]db failed: reason withheld" and a last line such as "readyz
// check failed". Error details are withheld unless Options.ShowDetails
// allows them.
func (c *Checker) Handler() http.Handler { return &handler{c: c} }

type handler struct{ c *Checker }

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.c
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "health: method "+r.Method+" not allowed, use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	ep, name, ok := route(r.URL.Path)
	if !ok {
		http.Error(w, "health: no probe at "+strconv.Quote(r.URL.Path), http.StatusNotFound)
		return
	}
	p, _ := endpointProbe(ep)
	q := r.URL.Query()
	v := view{label: ep, verbose: q.Has("verbose"), details: c.opts.ShowDetails != nil && c.opts.ShowDetails(r)}
	var exclude []string
	if name == "" {
		for _, s := range q["exclude"] {
			for n := range strings.SplitSeq(s, ",") {
				if n = strings.TrimSpace(n); n != "" {
					exclude = append(exclude, n)
				}
			}
		}
	}
	checks := c.selectChecks(p, name, exclude)
	if name != "" {
		if len(checks) == 0 {
			http.Error(w, "health: no check "+strconv.Quote(name)+" in "+ep, http.StatusNotFound)
			return
		}
		v.label += "/" + name
	}
	if len(exclude) > 0 {
		for _, k := range c.selectChecks(p, "", nil) {
			if slices.Contains(exclude, k.name) {
				v.excluded = append(v.excluded, k.name)
			}
		}
		for _, n := range exclude {
			if !slices.Contains(v.excluded, n) && !slices.Contains(v.unknown, n) {
				v.unknown = append(v.unknown, n)
			}
		}
	}

	c.await(r.Context(), checks, p)
	rep := c.report(checks, p)
	var body []byte
	if wantsText(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		body = renderText(rep, v)
	} else {
		w.Header().Set("Content-Type", "application/health+json")
		body = c.renderJSON(rep, v)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if rep.Status == StatusFail {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// route splits a request path, ".../readyz" or ".../readyz/db", into the
// endpoint and the check name.
func route(path string) (ep, name string, ok bool) {
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	last := path[i+1:]
	if _, ok := endpointProbe(last); ok {
		return last, "", true
	}
	if i < 0 || last == "" {
		return "", "", false
	}
	parent := path[:i]
	parent = parent[strings.LastIndexByte(parent, '/')+1:]
	if _, ok := endpointProbe(parent); ok {
		return parent, last, true
	}
	return "", "", false
}

// wantsText reports whether the Accept header rates text/plain or text/*
// above every JSON type; an absent header or */* gets JSON.
func wantsText(accept string) bool {
	textQ, jsonQ := 0.0, 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, _ := strings.Cut(p, "="); strings.EqualFold(strings.TrimSpace(k), "q") {
				q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64) // a bad q is 0: refused
			}
		}
		switch mt = strings.ToLower(strings.TrimSpace(mt)); mt {
		case "text/plain", "text/*":
			textQ = max(textQ, q)
		case "application/health+json", "application/json", "application/*":
			jsonQ = max(jsonQ, q)
		}
	}
	return textQ > jsonQ
}

// view holds what, besides the report, shapes a response body.
type view struct {
	label    string // endpoint, and check if the request named one
	verbose  bool
	details  bool
	excluded []string // checks left out by ?exclude
	unknown  []string // ?exclude names that match no check
}

// renderJSON writes the body in the shape of the IETF draft "Health Check
// Response Format for HTTP APIs", one measurement per check under
// "<name>:responseTime". It is written by hand, as check names need no
// escaping: encoding/json tripled a cached probe's cost.
func (c *Checker) renderJSON(rep Report, v view) []byte {
	b := append(make([]byte, 0, 512), `{"status":"`...)
	b = append(b, rep.Status...)
	b = append(b, '"')
	b = appendString(b, "version", c.opts.Version)
	b = appendString(b, "releaseId", c.opts.ReleaseID)
	b = appendString(b, "serviceId", c.opts.ServiceID)
	b = appendString(b, "description", c.opts.Description)
	if rep.Draining {
		b = appendString(b, "output", "shutting down")
	}
	if len(v.unknown) > 0 {
		notes := make([]string, len(v.unknown))
		for i, n := range v.unknown {
			notes[i] = "exclude: no check " + strconv.Quote(n)
		}
		b = appendJSON(append(b, `,"notes":`...), notes)
	}
	if len(rep.Checks) > 0 {
		b = append(b, `,"checks":{`...)
	}
	for i, cr := range rep.Checks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, cr.Name...)
		b = append(b, `:responseTime":[{"status":"`...)
		b = append(b, cr.Status...)
		b = append(b, '"')
		if !cr.Time.IsZero() {
			b = cr.Time.UTC().AppendFormat(append(b, `,"time":"`...), "2006-01-02T15:04:05.000Z07:00")
			ms := math.Round(float64(cr.Duration)/float64(time.Microsecond)) / 1000
			b = strconv.AppendFloat(append(b, `","observedValue":`...), ms, 'f', -1, 64)
			b = append(b, `,"observedUnit":"ms"`...)
		}
		if cr.Status != StatusPass {
			out := cr.Reason
			if v.details && cr.Err != nil {
				out = cr.Err.Error()
			}
			b = appendString(b, "output", out)
		}
		b = append(b, "}]"...)
	}
	if len(rep.Checks) > 0 {
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// appendString appends the member ,"key":"value", unless value is empty.
func appendString(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	return appendJSON(append(append(append(b, `,"`...), key...), `":`...), value)
}

// appendJSON appends v, a string or a slice of strings, as JSON.
func appendJSON(b []byte, v any) []byte {
	j, _ := json.Marshal(v) // strings always marshal
	return append(b, j...)
}

func renderText(rep Report, v view) []byte {
	if rep.Status == StatusPass && !v.verbose {
		return []byte("ok")
	}
	var sb strings.Builder
	for _, cr := range rep.Checks {
		reason := cr.Reason
		if v.details && cr.Err != nil {
			// One line per check, whatever the error says.
			reason = strings.Join(strings.Fields(cr.Err.Error()), " ")
		} else if reason == reasonCheckFailed {
			reason = "reason withheld"
		}
		switch cr.Status {
		case StatusPass:
			sb.WriteString("[+]" + cr.Name + " ok\n")
		case StatusWarn:
			sb.WriteString("[!]" + cr.Name + " warn: " + reason + "\n")
		default:
			sb.WriteString("[-]" + cr.Name + " failed: " + reason + "\n")
		}
	}
	for _, n := range v.excluded {
		sb.WriteString("[+]" + n + " excluded: ok\n")
	}
	if rep.Draining {
		sb.WriteString("[-]shutdown failed: shutting down\n")
	}
	if len(v.unknown) > 0 {
		quoted := make([]string, len(v.unknown))
		for i, n := range v.unknown {
			quoted[i] = strconv.Quote(n)
		}
		sb.WriteString("warn: some health checks cannot be excluded: no matches for " + strings.Join(quoted, ", ") + "\n")
	}
	if rep.Status == StatusFail {
		sb.WriteString(v.label + " check failed\n")
	} else {
		sb.WriteString(v.label + " check passed\n")
	}
	return []byte(sb.String())
}
