package ratelimitbench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// keys are the clients of the workload: 10,000 IPv4 addresses, each
// asking in turn, under a limit none of them reaches.
var keys = func() []string {
	ks := make([]string, 10_000)
	for i := range ks {
		ks[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return ks
}()

const limit = 1 << 30 // an hour: every decision is an allow

// BenchmarkAllow measures one decision on the in-memory store, from one
// goroutine, for 10,000 client addresses in turn under a limit none reaches.
func BenchmarkAllow(b *testing.B) { sequential(b, memoryContenders(b, limit)) }

// BenchmarkAllowParallel measures the same decisions made from GOMAXPROCS
// goroutines at once, as a server's handlers make them.
func BenchmarkAllowParallel(b *testing.B) {
	cs := memoryContenders(b, limit)
	defer closeAll(cs)
	for _, c := range cs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var started atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := int(started.Add(1)) * 4999 // each goroutine starts elsewhere
				for pb.Next() {
					c.allow(ctx, keys[i%len(keys)])
					i++
				}
			})
		})
	}
}

// BenchmarkRedis measures one decision on the Redis test server (one
// script call on a loopback connection) for the same addresses.
func BenchmarkRedis(b *testing.B) { sequential(b, redisContenders(b, limit)) }

// sequential runs each contender on the keys in turn from one goroutine.
func sequential(b *testing.B, cs []contender) {
	defer closeAll(cs)
	for _, c := range cs {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.allow(ctx, keys[i%len(keys)])
				i++
			}
		})
	}
}
