package secrets

import "os"

const dbURL = "postgres://app:hunter2@db.internal:5432/app" // want `secrets: URL with a password in source`

var apiKey = "sk_live_51Hxyz" // want `secrets: apiKey is a credential in source`

type Config struct {
	DBPassword string
	AuthToken  string
	TokenTTL   int
}

func load() Config {
	c := Config{
		DBPassword: "changeme", // want `secrets: DBPassword is a credential in source`
		TokenTTL:   3600,
	}
	c.AuthToken = "abc123" // want `secrets: AuthToken is a credential in source`
	return c
}

// Near-misses: fine.
const (
	tokenHeader = "X-Auth-Token" // the name of a header, not a token
	passwordEnv = "DB_PASSWORD"  // the name of a variable
	publicURL   = "https://example.com/docs"
	userOnlyURL = "ssh://git@example.com/repo.git" // a user with no password
	emptySecret = ""
)

func fromEnv() Config {
	return Config{DBPassword: os.Getenv(passwordEnv), AuthToken: os.Getenv("AUTH_TOKEN")}
}
