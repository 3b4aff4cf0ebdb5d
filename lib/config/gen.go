package config

//go:generate go run ./internal/gen -o accessors_gen.go

// checkGenerated makes a stale accessors_gen.go fail at start-up rather
// than read the wrong options.
func checkGenerated(keys []string) {
	opts := Options()
	if len(keys) != len(opts) {
		panic("config: accessors_gen.go is stale (run go generate ./lib/config)")
	}
	for i, k := range keys {
		if opts[i].Key != k {
			panic("config: accessors_gen.go is stale at " + k + " (run go generate ./lib/config)")
		}
	}
}

func init() { checkGenerated(generatedKeys[:]) }
