# Thin wrappers over scripts/: each target works on a fresh Debian machine
# (root, no Docker engine, no registry) and on a workstation with Docker.
.PHONY: setup lint test images demo demo-down demo-status demo-logs

# The demo's inventory (this machine) and its DEMO-ONLY vault password.
DEMO_PLAYBOOK = .venv/bin/ansible-playbook -i inventory/local --vault-password-file inventory/local/demo-vault-password.txt

setup:
	scripts/setup.sh

lint:
	scripts/setup.sh --venv-only
	scripts/lint.sh

test: setup
	scripts/test.sh

images:
	docker/base/build-images.sh

demo:
	PROJECT="$(PROJECT)" scripts/demo.sh

demo-down:
	scripts/demo-down.sh

demo-status:
	ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg $(DEMO_PLAYBOOK) playbooks/status.yml

demo-logs:
	ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg $(DEMO_PLAYBOOK) playbooks/logs.yml
