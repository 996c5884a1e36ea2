package logxbench

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestSameLine checks that every contender of every benchmark writes one
// JSON line with the same members, and nothing at Debug level, so that the
// benchmarks compare the same work.
func TestSameLine(t *testing.T) {
	ctx := requestContext(t)
	want := map[string]any{
		"msg": "request handled", "request_id": requestID,
		"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
		"user": "u-1842", "items": float64(3), "cached": true,
	}
	for set, mk := range map[string]func(*bytes.Buffer) []contender{
		"perCall":    func(w *bytes.Buffer) []contender { return perCall(w) },
		"perRequest": func(w *bytes.Buffer) []contender { return perRequest(ctx, w) },
	} {
		var buf bytes.Buffer
		for _, c := range mk(&buf) {
			buf.Reset()
			c.log(ctx, true)
			if buf.Len() != 0 {
				t.Errorf("%s/%s: debug line written: %s", set, c.name, buf.Bytes())
			}
			c.log(ctx, false)
			line := buf.Bytes()
			if bytes.Count(line, []byte("\n")) != 1 {
				t.Fatalf("%s/%s: want one line, got %q", set, c.name, line)
			}
			var got map[string]any
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatalf("%s/%s: %v in %s", set, c.name, err, line)
			}
			if m, ok := got["message"]; ok { // zerolog's name for it
				got["msg"] = m
				delete(got, "message")
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s/%s: %s = %v, want %v (line %s)", set, c.name, k, got[k], v, line)
				}
			}
			// message, level, time and the six fields; nothing else.
			if len(got) != len(want)+2 {
				t.Errorf("%s/%s: %d members, want %d: %s", set, c.name, len(got), len(want)+2, line)
			}
		}
	}
}
