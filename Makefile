# Gyrus — the Cyrus IMAP suite in Go.
#
#   make            build every program into bin/
#   make run        build, then run master on an embedded default config
#   make test       the whole test suite (what CI runs)
#   make lint       gofmt and go vet
#   make fuzz       longer fuzzing than the short runs inside `make test`
#   make install    PREFIX=/usr/local DESTDIR= (upstream Cyrus layout)

GO        ?= go
BIN       := bin
PREFIX    ?= /usr/local
DESTDIR   ?=
LIBEXECDIR = $(PREFIX)/libexec
SBINDIR    = $(PREFIX)/sbin
MANDIR     = $(PREFIX)/share/man

# Programs that master starts (upstream installs them into libexec);
# every other cmd/ is an administration tool and goes to sbin.
SERVICES  := master imapd pop3d lmtpd timsieved sync_server idled fud notifyd

# Packages whose goroutines share state: they also run under -race.
RACE_PKGS ?= ./lib/...

# Seconds each fuzz target runs in `make test` (short) and `make fuzz`.
FUZZTIME_SHORT ?= 2s
FUZZTIME       ?= 60s

VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X gyrus/lib/version.Commit=$(VERSION)

CMDS = $(notdir $(wildcard cmd/*))

.PHONY: all build run test test-deps lint fuzz install man clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# Builds, writes the embedded default configuration into ./run (kept
# between runs), and starts master in the foreground. Ctrl-C stops it.
run: build
	@scripts/run-dev

test-deps:
	@scripts/test-deps

test: test-deps build lint
	GYRUS_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)
	@FUZZTIME=$(FUZZTIME_SHORT) scripts/fuzz-all

lint:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz-all

# The option table (lib/config/internal/table) is the only source of the
# typed accessors and of imapd.conf.5: regenerate both after editing it.
man:
	$(GO) generate ./lib/config
	$(GO) run ./cmd/cyr_info --man > man/imapd.conf.5.tmp
	mv man/imapd.conf.5.tmp man/imapd.conf.5

install: build
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	@for c in $(CMDS); do \
	  case " $(SERVICES) " in \
	    *" $$c "*) dir=$(DESTDIR)$(LIBEXECDIR);; \
	    *) dir=$(DESTDIR)$(SBINDIR);; \
	  esac; \
	  echo "install $(BIN)/$$c $$dir/$$c"; \
	  install -m 0755 $(BIN)/$$c $$dir/$$c || exit 1; \
	done
	@for m in man/*.5; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/ || true; done
	@for m in man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/ || true; done

clean:
	rm -rf $(BIN)
