package logx

import (
	"io"
	"log/slog"
	"os"
	"slices"
)

// Format selects how [New] writes records.
type Format string

// The formats [New] supports: one JSON object per line for log pipelines (the
// default), or key=value lines, easier to read during local development.
const (
	FormatJSON Format = "json"
	FormatText Format = "text"
)

// Options configures [New]. A nil *Options or the zero value gives the
// production defaults: JSON lines at level Info, without source locations,
// redacting [DefaultRedactKeys].
type Options struct {
	// Format is FormatJSON or FormatText. The empty string, and any value
	// logx does not know, mean FormatJSON.
	Format Format

	// Level is the minimum level logged. Nil means slog.LevelInfo; a
	// *slog.LevelVar lets the level change while the program runs.
	Level slog.Leveler

	// AddSource adds the source file and line of the logging call to each
	// record, under slog.SourceKey.
	AddSource bool

	// Service, Version and Environment, when not empty, are added to every
	// record under the keys "service", "version" and "env".
	Service     string
	Version     string
	Environment string

	// ReplaceAttr is passed to the slog handler that formats the records;
	// see slog.HandlerOptions.ReplaceAttr. It sees the values after
	// redaction.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// HandlerOptions configures redaction and extractors, as for
	// [NewHandler].
	HandlerOptions
}

// New returns a logger that writes to w through a logx handler (see
// [NewHandler]). A nil w means os.Stdout; nil opts means the production
// defaults described on [Options].
func New(w io.Writer, opts *Options) *slog.Logger {
	if w == nil {
		w = os.Stdout
	}
	if opts == nil {
		opts = &Options{}
	}
	hopts := &slog.HandlerOptions{AddSource: opts.AddSource, Level: opts.Level, ReplaceAttr: opts.ReplaceAttr}
	var inner slog.Handler = slog.NewJSONHandler(w, hopts)
	if opts.Format == FormatText {
		inner = slog.NewTextHandler(w, hopts)
	}
	static := slices.DeleteFunc([]slog.Attr{
		slog.String("service", opts.Service), slog.String("version", opts.Version), slog.String("env", opts.Environment),
	}, func(a slog.Attr) bool { return a.Value.String() == "" })
	return slog.New(NewHandler(inner, &opts.HandlerOptions).WithAttrs(static))
}
