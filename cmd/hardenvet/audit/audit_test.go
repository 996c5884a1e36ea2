package audit

import (
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzers(t *testing.T) {
	for _, tt := range []struct {
		a    *analysis.Analyzer
		pkgs []string
	}{
		{ErrText, []string{"errtext"}},
		{BodyLimit, []string{"bodylimit"}},
		{ServerTimeout, []string{"srvtimeout"}},
		{ClientTimeout, []string{"clienttimeout"}},
		{RetryLoop, []string{"retryloop"}},
		{PrintLog, []string{"printlog"}},
		{InPlace, []string{"inplace"}},
		{Secrets, []string{"secrets"}},
		{HealthRoute, []string{"healthroute", "healthok"}},
		{ErrCheck, []string{"errcheck"}},
	} {
		t.Run(tt.a.Name, func(t *testing.T) {
			t.Parallel()
			analysistest.Run(t, analysistest.TestData(), tt.a, tt.pkgs...)
		})
	}
}

// TestIgnore runs the analyzers as the command does: a reasoned
// //hardenvet:ignore silences its analyzer on its line and the next, one
// without a reason is reported, one naming another analyzer silences
// nothing, and test files are not audited.
func TestIgnore(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), wrap(ClientTimeout), "ignore")
	analysistest.Run(t, analysistest.TestData(), wrap(ErrCheck), "ignoreerr")
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "dbPassword": true, "DB_PASSWORD": true, "apiKey": true, "API_KEY": true,
		"authToken": true, "clientSecret": true, "x-api-key": true, "passwd": true,
		"tokenHeader": false, "passwordEnv": false, "key": false, "cacheKey": false,
		"TokenTTL": false, "secretary": false, "": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestGroupOf(t *testing.T) {
	seen := make(map[Group]bool)
	for _, a := range Analyzers() {
		seen[GroupOf(a.Name)] = true
	}
	for _, g := range Groups {
		if !seen[g] {
			t.Errorf("no analyzer reports under %q", g)
		}
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
