package health

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Content types of the two response forms.
const (
	contentTypeJSON = "application/health+json"
	contentTypeText = "text/plain; charset=utf-8"
)

// view holds what, besides the report, shapes a response body.
type view struct {
	label    string // endpoint name, for the text form's last line
	single   bool   // the request named one check
	verbose  bool
	details  bool
	excluded []string // checks left out by ?exclude
	unknown  []string // ?exclude names that match no check
}

// jsonBody is the response in the shape of the IETF draft "Health Check
// Response Format for HTTP APIs".
type jsonBody struct {
	Status      Status                 `json:"status"`
	Version     string                 `json:"version,omitempty"`
	ReleaseID   string                 `json:"releaseId,omitempty"`
	ServiceID   string                 `json:"serviceId,omitempty"`
	Description string                 `json:"description,omitempty"`
	Output      string                 `json:"output,omitempty"`
	Notes       []string               `json:"notes,omitempty"`
	Checks      map[string][]jsonCheck `json:"checks,omitempty"`
}

// jsonCheck is one measurement of one check, listed under the key
// "<name>:responseTime".
type jsonCheck struct {
	Status        Status   `json:"status"`
	Time          string   `json:"time,omitempty"`
	ObservedValue *float64 `json:"observedValue,omitempty"`
	ObservedUnit  string   `json:"observedUnit,omitempty"`
	Output        string   `json:"output,omitempty"`
}

const jsonTime = "2006-01-02T15:04:05.000Z07:00"

func (c *Checker) renderJSON(rep Report, v view) *rendered {
	b := jsonBody{
		Status:      rep.Status,
		Version:     c.service.version,
		ReleaseID:   c.service.releaseID,
		ServiceID:   c.service.serviceID,
		Description: c.service.description,
	}
	if rep.Draining {
		b.Output = "shutting down"
	}
	for _, n := range v.unknown {
		b.Notes = append(b.Notes, "exclude: no check "+strconv.Quote(n))
	}
	if len(rep.Checks) > 0 {
		b.Checks = make(map[string][]jsonCheck, len(rep.Checks))
	}
	for _, cr := range rep.Checks {
		jc := jsonCheck{Status: cr.Status}
		if !cr.Time.IsZero() {
			jc.Time = cr.Time.UTC().Format(jsonTime)
			ms := math.Round(float64(cr.Duration)/float64(time.Microsecond)) / 1000
			jc.ObservedValue = &ms
			jc.ObservedUnit = "ms"
		}
		if cr.Status != StatusPass {
			jc.Output = output(cr, v.details)
		}
		b.Checks[cr.Name+":responseTime"] = []jsonCheck{jc}
	}
	body, err := json.Marshal(b)
	if err != nil {
		// Every field is a string, number or slice of them: Marshal
		// cannot fail. Fall back to the bare status all the same.
		body = []byte(`{"status":"` + string(rep.Status) + `"}`)
	}
	body = append(body, '\n')
	return newRendered(rep.Status, contentTypeJSON, body)
}

func (c *Checker) renderText(rep Report, v view) *rendered {
	var sb strings.Builder
	if rep.Status == StatusPass && !v.verbose {
		sb.WriteString("ok")
		return newRendered(rep.Status, contentTypeText, []byte(sb.String()))
	}
	for _, cr := range rep.Checks {
		switch cr.Status {
		case StatusPass:
			sb.WriteString("[+]" + cr.Name + " ok\n")
		case StatusWarn:
			sb.WriteString("[!]" + cr.Name + " warn: " + textReason(cr, v.details) + "\n")
		default:
			sb.WriteString("[-]" + cr.Name + " failed: " + textReason(cr, v.details) + "\n")
		}
	}
	for _, n := range v.excluded {
		sb.WriteString("[+]" + n + " excluded: ok\n")
	}
	if rep.Draining {
		sb.WriteString("[-]shutdown failed: shutting down\n")
	}
	if len(v.unknown) > 0 {
		sb.WriteString("warn: some health checks cannot be excluded: no matches for ")
		for i, n := range v.unknown {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.Quote(n))
		}
		sb.WriteString("\n")
	}
	label := v.label
	if v.single && len(rep.Checks) == 1 {
		label = v.label + "/" + rep.Checks[0].Name
	}
	if rep.Status == StatusFail {
		sb.WriteString(label + " check failed\n")
	} else {
		sb.WriteString(label + " check passed\n")
	}
	return newRendered(rep.Status, contentTypeText, []byte(sb.String()))
}

// output is what the JSON form says about a check that is not passing.
func output(cr CheckResult, details bool) string {
	if details && cr.Err != nil {
		return cr.Err.Error()
	}
	return cr.Reason
}

// textReason is output for the one-line text form, where a withheld
// error reads "reason withheld" as in Kubernetes.
func textReason(cr CheckResult, details bool) string {
	if details && cr.Err != nil {
		return oneLine(cr.Err.Error())
	}
	if cr.Reason == reasonCheckFailed {
		return "reason withheld"
	}
	return cr.Reason
}

// oneLine keeps an error text from breaking the line-per-check form.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func newRendered(st Status, contentType string, body []byte) *rendered {
	code := http.StatusOK
	if st == StatusFail {
		code = http.StatusServiceUnavailable
	}
	return &rendered{
		code:        code,
		contentType: []string{contentType},
		clen:        []string{strconv.Itoa(len(body))},
		body:        body,
	}
}
