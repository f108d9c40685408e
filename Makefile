# Thin wrappers over scripts/: each target works on a fresh Debian machine
# (root, no Docker engine, no registry) and on a workstation with Docker.
.PHONY: setup lint test images

setup:
	scripts/setup.sh

lint:
	scripts/setup.sh --venv-only
	scripts/lint.sh

test: setup
	scripts/test.sh

images:
	docker/base/build-images.sh
