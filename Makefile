# Thin wrappers: CI and people run the same scripts (see README.md).
.PHONY: up up-detached stop test lint fmt ci

up:            ## build, migrate, create the first admin and run everything in the foreground
	./infra/local/up.sh

up-detached:   ## the same, in the background
	./infra/local/up.sh --detach

stop:          ## stop the background app, the broker and a project-local PostgreSQL
	./infra/local/up.sh --stop

test:          ## fmt check, domain purity, clippy, then all tests against PostgreSQL + broker
	./infra/local/test.sh

lint:          ## fmt check, domain purity and clippy only
	./infra/local/test.sh --lint-only

fmt:           ## format the workspace
	cargo fmt --all

ci:            ## what CI runs
	bash .ci/run
