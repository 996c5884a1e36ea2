package logx

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverShows(t *testing.T) {
	t.Parallel()
	const value = "s3cr3t-Value"
	s := Secret(value)
	type config struct {
		User     string
		Password Secret
		Ptr      *Secret
	}
	cfg := config{User: "bob", Password: s, Ptr: &s}

	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, &s), fmt.Sprintf(verb, cfg))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s, cfg), s.String(), s.GoString())

	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	txt, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(txt))
	type doc struct {
		S Secret
		A Secret `xml:"a,attr"`
	}
	x, err := xml.Marshal(doc{S: s, A: s})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(x))

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "s", s, "cfg", cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "s", s, "cfg", cfg)
	outs = append(outs, buf.String())

	for _, out := range outs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
			t.Errorf("secret visible in %q", out)
		}
	}
	if !strings.Contains(string(j), `"Password":"[REDACTED]"`) {
		t.Errorf("JSON = %s, want the password as %q", j, Redacted)
	}
	if got := fmt.Sprintf("%v", s); got != Redacted {
		t.Errorf("%%v = %q, want %q", got, Redacted)
	}
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal = %q, want %q", got, value)
	}
	if got := s.LogValue(); got.String() != Redacted {
		t.Errorf("LogValue = %v", got)
	}
}

func TestSecretUnmarshalsFromJSON(t *testing.T) {
	t.Parallel()
	var cfg struct{ Token Secret }
	if err := json.Unmarshal([]byte(`{"Token":"abc"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Token.Reveal() != "abc" {
		t.Errorf("Token = %q, want abc", cfg.Token.Reveal())
	}
}
