package health

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// handler serves a Checker over HTTP.
type handler struct{ c *Checker }

var _ http.Handler = (*handler)(nil)

// Handler returns the HTTP handler for the probes. It answers, under
// any path prefix:
//
//	/livez      liveness
//	/readyz     readiness (/healthz is the same, under its older name)
//	/startupz   startup
//	/<probe>/<check name>   that one check, 404 if the probe has no such check
//
// to GET and HEAD only (405 with an Allow header otherwise). The query
// parameter exclude=<name> (repeatable, or comma-separated) leaves checks
// out of a probe; verbose asks for the full text listing.
//
// The status code is 200 for pass and warn, 503 for fail. The body is
// application/health+json unless the client asks for text: when the
// Accept header rates text/plain (or text/*) above every JSON type
// (application/health+json, application/json, application/*), when it
// refuses JSON with q=0 and does not refuse text, or when it names neither
// and the query has verbose. The text form is the one
// Kubernetes components serve: "ok" when passing, otherwise (or with
// verbose) one line per check such as "[+]db ok" or
// "[-]db failed: reason withheld", and a last line such as
// "readyz check failed". Responses are never cacheable.
//
// Error details are withheld unless Options.ShowDetails allows them for
// the request. An unchanged answer is served from a rendered copy, so
// frequent probes cost little more than writing the bytes.
func (c *Checker) Handler() http.Handler { return &handler{c: c} }

// The rendered-body cache has one slot per endpoint, format, verbosity
// and detail level; requests naming a check or excluding some are
// rendered every time.
const cacheSlots = int(numEndpoints) * 2 * 2 * 2

func slotIndex(ep endpoint, text, verbose, details bool) int {
	i := int(ep)
	i = i*2 + b2i(text)
	i = i*2 + b2i(verbose && text) // JSON is always complete
	i = i*2 + b2i(details)
	return i
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rendered is a response ready to write, valid while the Checker's
// generation equals gen.
//
// Its header values are built once and assigned straight into each
// response's header map under their canonical keys, sparing every probe the
// key canonicalisation of Header.Set. Responses share the value slices;
// that is safe because their length equals their capacity (Header.Add
// copies before appending) and net/http never writes into them.
type rendered struct {
	gen         uint64
	code        int
	contentType []string
	clen        []string
	body        []byte
}

// Values shared by every rendered response; see rendered.
var (
	headerNoStore = []string{"no-store"}
	headerNosniff = []string{"nosniff"}
)

func (rb *rendered) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = rb.contentType
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNosniff
	h["Content-Length"] = rb.clen
	w.WriteHeader(rb.code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rb.body)
	}
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.c
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpError(w, "health: method "+r.Method+" not allowed, use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	ep, name, ok := route(r.URL.Path)
	if !ok {
		httpError(w, "health: no probe at "+strconv.Quote(r.URL.Path), http.StatusNotFound)
		return
	}
	p := ep.probe()
	list := *c.checks.Load()

	var only *check
	if name != "" {
		for _, k := range list {
			if k.name == name && k.probes&p != 0 {
				only = k
				break
			}
		}
		if only == nil {
			httpError(w, "health: no check "+strconv.Quote(name)+" in "+ep.String(), http.StatusNotFound)
			return
		}
	}

	var verbose bool
	var excl []string
	if r.URL.RawQuery != "" {
		q, _ := url.ParseQuery(r.URL.RawQuery)
		verbose = q.Has("verbose")
		if only == nil {
			for _, v := range q["exclude"] {
				for _, n := range strings.Split(v, ",") {
					if n = strings.TrimSpace(n); n != "" {
						excl = append(excl, n)
					}
				}
			}
		}
	}
	text := wantsText(r.Header.Get("Accept"), verbose)
	details := c.showDetails != nil && c.showDetails(r)

	c.await(r.Context(), list, p, only, excl)

	// The generation is read before the results, so a body rendered from
	// results newer than gen is only ever stored under an older
	// generation, and re-rendered by the next request, never served
	// stale.
	gen := c.gen.Load()
	var slot *atomic.Pointer[rendered]
	if only == nil && len(excl) == 0 {
		slot = &c.cache[slotIndex(ep, text, verbose, details)]
		if rb := slot.Load(); rb != nil && rb.gen == gen {
			rb.write(w, r)
			return
		}
	}
	rep := c.report(list, p, only, excl)
	v := view{
		label:    ep.String(),
		single:   only != nil,
		verbose:  verbose,
		details:  details,
		excluded: excludedNames(list, p, excl),
		unknown:  unknownNames(list, p, excl),
	}
	var rb *rendered
	if text {
		rb = c.renderText(rep, v)
	} else {
		rb = c.renderJSON(rep, v)
	}
	rb.gen = gen
	if slot != nil {
		slot.Store(rb)
	}
	rb.write(w, r)
}

// route splits a request path into the probe endpoint and an optional
// check name: ".../readyz" or ".../readyz/db". Any prefix is allowed, so
// the handler works under http.StripPrefix or mounted at a subtree.
func route(path string) (ep endpoint, name string, ok bool) {
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	last := path[i+1:]
	if ep, ok := endpointByName(last); ok {
		return ep, "", true
	}
	if i < 0 || last == "" {
		return 0, "", false
	}
	parent := path[:i]
	j := strings.LastIndexByte(parent, '/')
	if ep, ok := endpointByName(parent[j+1:]); ok {
		return ep, last, true
	}
	return 0, "", false
}

// excludedNames returns the names in excl that are checks of probe p.
func excludedNames(list []*check, p Probe, excl []string) []string {
	var out []string
	for _, k := range list {
		if k.probes&p != 0 && contains(excl, k.name) {
			out = append(out, k.name)
		}
	}
	return out
}

// unknownNames returns the names in excl that are not checks of probe p.
func unknownNames(list []*check, p Probe, excl []string) []string {
	var out []string
	for _, e := range excl {
		found := false
		for _, k := range list {
			if k.name == e && k.probes&p != 0 {
				found = true
				break
			}
		}
		if !found && !contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// httpError is http.Error for the handler's own 404 and 405 answers,
// which are no more cacheable than its health answers.
func httpError(w http.ResponseWriter, msg string, code int) {
	w.Header()["Cache-Control"] = headerNoStore
	http.Error(w, msg, code)
}

// wantsText decides the response format from the Accept header: text
// when text/plain or text/* is rated above every JSON type, JSON when a
// JSON type is rated at least as high. A format named only with q=0 is
// refused, so the other one is served (JSON if both are). When the header
// names neither (absent, */*, a browser's text/html...), text only if the
// query asked for verbose output. It does not allocate.
func wantsText(accept string, verbose bool) bool {
	textQ, jsonQ := -1.0, -1.0
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.TrimSpace(mt)
		q := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 {
					f = 0
				}
				q = f
			}
		}
		switch {
		case strings.EqualFold(mt, "text/plain"), strings.EqualFold(mt, "text/*"):
			textQ = max(textQ, q)
		case strings.EqualFold(mt, "application/health+json"),
			strings.EqualFold(mt, "application/json"),
			strings.EqualFold(mt, "application/*"):
			jsonQ = max(jsonQ, q)
		}
	}
	switch {
	case textQ > 0 && textQ > jsonQ:
		return true
	case jsonQ > 0:
		return false
	case textQ == 0: // refused, and JSON is not rated higher
		return false
	case jsonQ == 0: // refused, and text is not named
		return true
	default:
		return verbose
	}
}
