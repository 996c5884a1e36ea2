package redisstore_test

import (
	"net/http"

	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/ratelimit/redisstore"
	"github.com/redis/go-redis/v9"
)

// Every replica of the service builds the same Limiters on one Redis, and
// together they allow each client five logins a minute.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := redisstore.New(rdb, nil)

	login := ratelimit.New(ratelimit.PerMinute(5), &ratelimit.Options{Store: store, Name: "login"})
	mux := http.NewServeMux()
	mux.Handle("POST /login", login.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	_ = mux // http.ListenAndServe(":8080", mux)
}
